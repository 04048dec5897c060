"""What the API sends and accepts, declared once as TypedDicts.

These declarations are the OpenAPI schema (see `buzon.api.openapi`) and the request
validation (`buzon.api.schema.check`). Field names and shapes are Zendesk's; the
few Buzón-only fields say so in their description.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from buzon.api.schema import Doc, Format, Range

DateTime = Annotated[str, Format("date-time"), Doc("ISO 8601, UTC, e.g. 2026-01-31T14:30:00Z")]
Url = Annotated[str, Format("uri")]
Id = int


# -------------------------------------------------------------------------- shared


class ErrorDetail(TypedDict):
    description: str
    position: NotRequired[int]


class Error(TypedDict):
    """Zendesk's error shape."""

    error: str
    description: NotRequired[str]
    details: NotRequired[dict[str, list[ErrorDetail]]]


class CursorMeta(TypedDict):
    has_more: bool
    after_cursor: str | None
    before_cursor: str | None


class CursorLinks(TypedDict):
    next: str | None
    prev: str | None


class Via(TypedDict):
    """How a change came in (Zendesk's via object)."""

    channel: Annotated[str, Doc("web, email, api, rule or system")]
    source: dict[str, Any]


# -------------------------------------------------------------------------- tickets


TicketStatus = Literal["new", "open", "pending", "hold", "solved", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
TicketTypeName = Literal["question", "incident", "problem", "task"]


class Ticket(TypedDict):
    id: Id
    url: Url
    external_id: None
    via: Via
    created_at: DateTime
    updated_at: DateTime
    type: TicketTypeName | None
    subject: str
    raw_subject: str
    description: str
    priority: TicketPriority | None
    status: TicketStatus
    recipient: str | None
    requester_id: Id
    submitter_id: Id
    assignee_id: Id | None
    organization_id: Id | None
    group_id: Id | None
    collaborator_ids: list[Id]
    follower_ids: list[Id]
    email_cc_ids: list[Id]
    has_incidents: bool
    is_public: bool
    due_at: None
    tags: list[str]
    custom_fields: list[Any]
    fields: list[Any]
    satisfaction_rating: None
    sharing_agreement_ids: list[Id]
    followup_ids: list[Id]
    problem_id: None
    brand_id: None
    allow_channelback: bool
    allow_attachments: bool
    from_messaging_channel: bool
    encoded_id: Annotated[str, Doc("The id that threads email replies (e.g. K7MZ2Q-PX4A)")]


class CommentIn(TypedDict, total=False):
    body: str
    html_body: str
    public: bool
    author_id: int


class RequesterIn(TypedDict, total=False):
    """A requester by address: an unknown address becomes a new end user."""

    email: Annotated[str, Format("email")]
    name: str
    locale_id: int


class EmailCcIn(TypedDict, total=False):
    user_id: int
    user_email: str
    user_name: str
    action: Literal["put", "delete"]


class FollowerIn(TypedDict, total=False):
    user_id: int
    user_email: str
    action: Literal["put", "delete"]


class TicketIn(TypedDict, total=False):
    """The fields a create or update may set (others are read-only and ignored)."""

    subject: str
    comment: CommentIn
    status: TicketStatus
    priority: TicketPriority | None
    type: TicketTypeName | None
    requester_id: int
    requester: RequesterIn
    assignee_id: int | None
    assignee_email: str
    group_id: int | None
    organization_id: int | None
    tags: list[str]
    additional_tags: list[str]
    remove_tags: list[str]
    email_cc_ids: list[int]
    email_ccs: list[EmailCcIn]
    follower_ids: list[int]
    followers: list[FollowerIn]
    safe_update: bool
    updated_stamp: str


class TicketCreateRequest(TypedDict):
    ticket: TicketIn


class TicketUpdateRequest(TypedDict):
    ticket: TicketIn


class TicketResponse(TypedDict):
    ticket: Ticket


class Comment(TypedDict):
    id: Id
    type: Literal["Comment"]
    author_id: Id
    body: str
    html_body: str
    plain_body: str
    public: bool
    attachments: list[Any]
    audit_id: Id | None
    via: Via
    metadata: dict[str, Any]
    created_at: DateTime


class AuditEvent(TypedDict):
    """One event. Create/Change have field_name, value (and previous_value);
    Comment has the comment's fields; Notification has subject, body, recipients
    and the trigger in via; EmailCcChange has previous_email_ccs and
    current_email_ccs. `DeliveryFailure` is Buzón's own: an email notification did
    not reach a recipient (Zendesk clients ignore event types they do not know)."""

    id: Id
    type: str
    field_name: NotRequired[str]
    value: NotRequired[Any]
    previous_value: NotRequired[Any]
    via: NotRequired[Via]


class Audit(TypedDict):
    id: Id
    ticket_id: Id
    created_at: DateTime
    author_id: Id | None
    metadata: dict[str, Any]
    via: Via
    events: list[AuditEvent]


class AuditResponse(TypedDict):
    audit: Audit


class TicketWithAuditResponse(TypedDict):
    """A create or update answers with the ticket and the audit it wrote."""

    ticket: Ticket
    audit: Audit | None


class TagsRequest(TypedDict):
    tags: list[str]


class TagsResponse(TypedDict):
    tags: list[str]


# -------------------------------------------------------------------------- users


UserRole = Literal["end-user", "agent", "admin"]


class User(TypedDict):
    id: Id
    url: Url
    name: str
    email: str
    created_at: DateTime
    updated_at: DateTime
    time_zone: str
    iana_time_zone: str
    phone: None
    photo: None
    locale_id: Annotated[int, Doc("1 = English, 2 = Spanish (Zendesk's locale ids)")]
    locale: str
    organization_id: Id | None
    role: UserRole
    verified: bool
    external_id: None
    tags: list[str]
    alias: str
    active: bool
    shared: bool
    shared_agent: bool
    last_login_at: DateTime | None
    signature: None
    details: str
    notes: str
    moderator: bool
    ticket_restriction: str | None
    only_private_comments: bool
    restricted_agent: bool
    suspended: bool
    default_group_id: Id | None
    user_fields: dict[str, Any]


class UserIn(TypedDict, total=False):
    name: str
    email: Annotated[str, Format("email")]
    role: UserRole
    locale_id: int
    locale: str
    time_zone: str
    organization_id: int | None
    notes: str
    details: str
    verified: bool


class UserRequest(TypedDict):
    user: UserIn


class UserResponse(TypedDict):
    user: User


class Identity(TypedDict):
    id: Id
    url: Url
    user_id: Id
    type: Literal["email"]
    value: str
    verified: bool
    primary: bool
    deliverable_state: Annotated[
        str,
        Doc(
            "deliverable, undeliverable (mail to it keeps failing), reserved_example, "
            "mailing_list, mailer_daemon, ticket_sharing_partner"
        ),
    ]
    undeliverable_count: Annotated[int, Doc("Failed deliveries to this address in a row")]
    created_at: DateTime
    updated_at: DateTime


class IdentityIn(TypedDict, total=False):
    type: Literal["email"]
    value: str
    verified: bool
    primary: bool


class IdentityRequest(TypedDict):
    identity: IdentityIn


class IdentityResponse(TypedDict):
    identity: Identity


class IdentitiesResponse(TypedDict):
    identities: list[Identity]


# -------------------------------------------------------------------------- email notifications


class DeliveryStatus(TypedDict):
    """A row of Zendesk's delivery-status table; `name` lower-case, as Zendesk's API.
    `blame` is Buzón's own field (Zendesk clients ignore it)."""

    id: int
    name: str
    code: str
    message: str
    blame: Annotated[
        str,
        Doc(
            "Buzón: who must act on a failure: address (the address is wrong or gone), "
            "mailbox (full or inactive for now), recipient_policy (the recipient's "
            "filters), setup (our sending set-up), reputation (our reputation or rate), "
            "content (the message), transient (trouble on the way) or unknown; "
            "empty when nothing failed. Only address suppresses the address"
        ),
    ]


class DeliveryDetails(TypedDict):
    """Buzón's own account of the delivery (not in Zendesk; its clients ignore it)."""

    state: Annotated[str, Doc("queued, sending, deferred, handed_off, delivered or failed")]
    kind: Annotated[str, Doc("to or cc")]
    reason: Annotated[str, Doc("Reason class, e.g. userunknown, mailboxfull")]
    hard: Annotated[bool, Doc("Permanent: not worth retrying as it is")]
    unverified_reports: Annotated[
        int, Doc("Reports naming this copy that could not be verified (they changed nothing)")
    ]
    source: Annotated[str, Doc("Who reported the failure: smtp, dsn, webhook, suppressed…")]
    reply_code: int | None
    enhanced_status: str
    diagnostic: Annotated[str, Doc("The remote server's own words (empty when none replied)")]
    remote_mta: str
    attempts: int
    last_error: Annotated[
        str,
        Doc(
            "While deferred: the last answer with its codes, or the error as raised when "
            "no server replied"
        ),
    ]
    cause: Annotated[
        str,
        Doc(
            "Why the last attempt has no server's answer: refused, timeout, tls, closed, "
            "dns, network, esp or internal; or what our relay refused: relay_refused, "
            "sender_refused; or why nothing was sent: invalid_address, unbuildable; "
            "empty when a server answered"
        ),
    ]
    cause_detail: Annotated[str, Doc("The technical detail of the cause (the error as raised)")]
    handed_off_at: DateTime | None
    failed_at: DateTime | None


class Recipient(TypedDict):
    user_id: Id | None
    email_address: str
    delivery_status: DeliveryStatus
    delivery_details: DeliveryDetails


class EmailNotification(TypedDict):
    url: Url
    notification_id: Id
    ticket_id: Id
    comment_id: Id | None
    email_id: Annotated[str, Doc("Buzón: the delivery's email id (the Message-ID's left part)")]
    message_id: Annotated[str, Doc("The Message-ID header, with angle brackets")]
    recipients: list[Recipient]
    trigger: Annotated[dict[str, Any] | None, Doc("Buzón: the trigger that sent it ({id, title})")]
    created_at: DateTime
    updated_at: DateTime


class EmailNotificationResponse(TypedDict):
    email_notification: EmailNotification


# -------------------------------------------------------------------------- search


class SearchResult(TypedDict):
    """A ticket or a user (see result_type), with all the fields of that resource."""

    result_type: Literal["ticket", "user"]
    id: Id
    url: Url


class SearchCountResponse(TypedDict):
    count: int


# -------------------------------------------------------------------------- views and triggers


class Condition(TypedDict):
    field: str
    operator: str
    value: NotRequired[Any]


class Conditions(TypedDict):
    all: list[Condition]
    any: list[Condition]


class ViewColumn(TypedDict):
    id: str
    title: str


class ViewExecution(TypedDict):
    sort_by: str
    sort_order: str
    group_by: None
    group_order: None
    columns: list[ViewColumn]


class View(TypedDict):
    id: Id
    url: Url
    title: str
    raw_title: str
    description: str | None
    active: bool
    position: int
    default: bool
    restriction: None
    conditions: Conditions
    execution: ViewExecution
    created_at: DateTime
    updated_at: DateTime


class ViewResponse(TypedDict):
    view: View


class ViewCount(TypedDict):
    view_id: Id
    url: Url
    value: int
    pretty: str
    fresh: bool
    active: bool


class ViewCountResponse(TypedDict):
    view_count: ViewCount


class Action(TypedDict):
    field: str
    value: Any


class Trigger(TypedDict):
    id: Id
    url: Url
    title: str
    raw_title: str
    description: str
    active: bool
    position: int
    default: bool
    category_id: None
    conditions: Conditions
    actions: list[Action]
    created_at: DateTime
    updated_at: DateTime


class ConditionsIn(TypedDict, total=False):
    all: list[Condition]
    any: list[Condition]


class TriggerIn(TypedDict, total=False):
    title: Annotated[str, Doc("At most 255 characters")]
    description: str
    active: bool
    position: Annotated[int, Range(0, 1_000_000)]
    conditions: ConditionsIn
    actions: list[Action]


class TriggerRequest(TypedDict):
    trigger: TriggerIn


class TriggerResponse(TypedDict):
    trigger: Trigger
