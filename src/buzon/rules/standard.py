"""The triggers and views every new Buzón starts with (Zendesk's standard set).

Loaded by a data migration; kept here as plain data so tests and docs can read it.
"""

from __future__ import annotations

from typing import Any


def _(text: str) -> str:
    """Marks a text for the catalogue (makemessages); it is stored in English. An
    unedited text is translated into the account's language when used (rules.engine)."""
    return text


FAILURE_TAG = "system_email_notification_failure"

STANDARD_TRIGGERS: list[dict[str, Any]] = [
    {
        "title": _("Notify requester and CCs of received request"),
        "description": _("Tells the requester (and CCs) that their request was received."),
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "status", "operator": "is_not", "value": "solved"},
                {"field": "role", "operator": "is", "value": "end_user"},
            ]
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "requester_and_ccs",
                    _("[{{ticket.account}}] Re: {{ticket.title}}"),
                    _(
                        "Your request ({{ticket.id}}) has been received and is being reviewed "
                        "by our support staff.\n\nTo add additional comments, reply to this email."
                        "\n\n{{ticket.comments_formatted}}\n\n{{ticket.url}}"
                    ),
                ],
            }
        ],
    },
    {
        "title": _("Notify requester of new proactive ticket"),
        "description": _("Emails the requester when an agent opens a ticket on their behalf."),
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "status", "operator": "is_not", "value": "solved"},
                {"field": "role", "operator": "is", "value": "agent"},
                {"field": "comment_is_public", "operator": "is", "value": True},
            ]
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "requester_and_ccs",
                    "{{ticket.title}}",
                    _(
                        "This ticket was created on your behalf.\n\n"
                        "{{ticket.latest_public_comment}}\n\n"
                        "To add additional comments, reply to this email.\n\n{{ticket.url}}"
                    ),
                ],
            }
        ],
    },
    {
        "title": _("Notify requester and CCs of comment update"),
        "description": _("Emails the requester and CCs every public comment."),
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "comment_is_public", "operator": "is", "value": True},
            ]
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "requester_and_ccs",
                    _("[{{ticket.account}}] Re: {{ticket.title}}"),
                    _(
                        "Your request ({{ticket.id}}) has been updated. To add additional "
                        "comments, reply to this email."
                        "\n\n{{ticket.comments_formatted}}\n\n{{ticket.url}}"
                    ),
                ],
            }
        ],
    },
    {
        "title": _("Notify assignee of comment update"),
        "description": _("Emails the assignee when someone else comments."),
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "comment_is_public", "operator": "is", "value": "not_relevant"},
                {"field": "assignee_id", "operator": "is_not", "value": "current_user"},
                {"field": "assignee_id", "operator": "is_not", "value": ""},
            ]
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "assignee_id",
                    _("[{{ticket.account}}] Re: {{ticket.title}}"),
                    _(
                        "This ticket (#{{ticket.id}}) has been updated.\n\n"
                        "{{ticket.latest_comment}}\n\n{{ticket.url}}"
                    ),
                ],
            }
        ],
    },
    {
        "title": _("Notify assignee of assignment"),
        "description": _("Emails an agent when a ticket is assigned to them by someone else."),
        "conditions": {
            "all": [
                {"field": "assignee_id", "operator": "changed"},
                {"field": "assignee_id", "operator": "is_not", "value": "current_user"},
                {"field": "assignee_id", "operator": "is_not", "value": ""},
            ]
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "assignee_id",
                    _("[{{ticket.account}}] Assignment: {{ticket.title}}"),
                    _(
                        "You have been assigned to this ticket (#{{ticket.id}}).\n\n"
                        "{{ticket.comments_formatted}}\n\n{{ticket.url}}"
                    ),
                ],
            }
        ],
    },
    {
        "title": _("Notify all agents of received request"),
        "description": _("Emails every agent when an end user opens a ticket."),
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "role", "operator": "is", "value": "end_user"},
            ]
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "all_agents",
                    _("[{{ticket.account}}] {{ticket.title}}"),
                    _(
                        "A ticket (#{{ticket.id}}) by {{ticket.requester.name}} has been "
                        "received. It is unassigned.\n\n{{ticket.latest_comment}}\n\n{{ticket.url}}"
                    ),
                ],
            }
        ],
    },
]

STANDARD_VIEWS: list[dict[str, Any]] = [
    {
        "title": _("Your unsolved tickets"),
        "conditions": {
            "all": [
                {"field": "status", "operator": "less_than", "value": "solved"},
                {"field": "assignee_id", "operator": "is", "value": "current_user"},
            ]
        },
    },
    {
        "title": _("Unassigned tickets"),
        "conditions": {
            "all": [
                {"field": "status", "operator": "less_than", "value": "solved"},
                {"field": "assignee_id", "operator": "is", "value": ""},
            ]
        },
    },
    {
        "title": _("All unsolved tickets"),
        "conditions": {"all": [{"field": "status", "operator": "less_than", "value": "solved"}]},
    },
    {
        "title": _("Tickets with email delivery failures"),
        "conditions": {
            "all": [
                {"field": "current_tags", "operator": "includes", "value": FAILURE_TAG},
                {"field": "status", "operator": "less_than", "value": "solved"},
            ]
        },
        "columns": ["id", "subject", "requester", "status", "tags", "updated_at"],
    },
    {
        "title": _("Recently solved tickets"),
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "solved"}]},
    },
]
