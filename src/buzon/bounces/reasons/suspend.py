"""suspend: The recipient's account is suspended, disabled or inactive."""

from ._rule import Rule

RULE = Rule(
    "suspend",
    phrases=(
        "is currently suspended",
        "has been suspended",
        "account suspended",
        "user suspended",
        "mailbox suspended",
        "account has been disabled",
        "account is disabled",
        "account disabled",
        "account is inactive",
        "inactive account",
        "invalid/inactive user",
        "mailbox is disabled",
        "mailbox disabled",
        "is a deactivated mailbox",
        "mailbox is frozen",
        "temporarily inactive",
        "temporary locked",
        "account is locked",
        "account has been locked",
        "account locked",
        "boite du destinataire archivee",
        "email account that you tried to reach is disabled",
        "recipient suspend the service",
        "this account has been disabled or discontinued",
        "mailbox currently suspended",
        "account expired",
        "account is expired",
        "disabled mailbox",
        "mailbox is inactive",
        "user is inactive",
        "account inactive",
        "has been disabled",
        "account deactivated",
        # Closed for good ("Local mailbox ... is unavailable: user is terminated"): the
        # blame makes such an account the address's own fault (buzon.bounces.blame).
        "user is terminated",
        "account is terminated",
        "account has been terminated",
        "account terminated",
        "deactivated",
    ),
)
