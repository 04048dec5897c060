"""delivered: The message was delivered (positive DSN)."""

from ._rule import Rule

RULE = Rule("delivered")
