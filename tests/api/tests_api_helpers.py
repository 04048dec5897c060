"""Shared expectations: the keys a Zendesk client reads from each resource."""

TICKET_KEYS = {
    "id", "url", "external_id", "via", "created_at", "updated_at", "type", "subject",
    "raw_subject", "description", "priority", "status", "recipient", "requester_id",
    "submitter_id", "assignee_id", "organization_id", "group_id", "collaborator_ids",
    "follower_ids", "email_cc_ids", "has_incidents", "is_public", "due_at", "tags",
    "custom_fields", "satisfaction_rating", "sharing_agreement_ids", "fields",
    "followup_ids", "brand_id", "allow_channelback", "allow_attachments",
}  # fmt: skip
USER_KEYS = {
    "id", "url", "name", "email", "created_at", "updated_at", "time_zone", "locale_id",
    "locale", "organization_id", "role", "verified", "active", "tags", "user_fields",
}  # fmt: skip
IDENTITY_KEYS = {
    "id", "url", "user_id", "type", "value", "verified", "primary", "created_at",
    "updated_at", "deliverable_state", "undeliverable_count",
}  # fmt: skip
