"""undefined: No reason could be found."""

from ._rule import Rule

RULE = Rule("undefined")
