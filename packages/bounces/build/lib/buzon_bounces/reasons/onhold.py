"""onhold: The report gave too little to decide; hold before acting."""

from ._rule import Rule

RULE = Rule("onhold")
