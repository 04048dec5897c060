"""Cox Communications: numbered AUP codes in the refusal text."""

from ._provider import Provider

PROVIDER = Provider(
    "cox",
    hosts=("cox.net",),
    domains=("cox.net",),
    signs=("cox.com/residential/support", "cox.com/business/support"),
    codes=(
        (r"cxblk|\bcxsnd|sender rejected", "blocked"),
        (r"cxdmarc|cxspf", "authfailure"),
        (r"cxmxrt|too many", "speeding"),
    ),
)
