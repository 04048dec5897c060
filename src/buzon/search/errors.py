"""The one error a search query can raise; the API answers 400 with it."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be run: what is wrong, where (0-based), and maybe a hint.

    str(error) reads "unknown keyword 'stauts' at position 0; did you mean 'status'?"
    """

    def __init__(self, message: str, position: int, hint: str = "") -> None:
        self.message = message
        self.position = position
        self.hint = hint
        text = f"{message} at position {position}"
        super().__init__(f"{text}; {hint}" if hint else text)
