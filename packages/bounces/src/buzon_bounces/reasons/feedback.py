"""feedback: An ARF complaint report."""

from ._rule import Rule

RULE = Rule("feedback")
