"""Where an enhanced status code is in a text: the cases both readers are tested on.

`buzon.smtpcodes.parsing` owns the reader; `buzon_bounces.smtp` keeps a copy of it (the
bounce library imports nothing outside itself). Each case is a text and the codes in it,
in order, as (class, subject, detail).
"""

from __future__ import annotations

CASES: list[tuple[str, list[tuple[int, int, int]]]] = [
    # Replies and DSN fields as servers write them.
    ("550 5.1.1 <a@example.com>: Recipient address rejected", [(5, 1, 1)]),
    ("550-5.7.1 first line\n550 5.7.1 second line", [(5, 7, 1), (5, 7, 1)]),
    ("Status: 4.4.7", [(4, 4, 7)]),
    ("smtp; 552 5.2.2 Mailbox full", [(5, 2, 2)]),
    ("#5.1.1 user unknown", [(5, 1, 1)]),
    ("2.0.0 OK", [(2, 0, 0)]),
    ("5.7.606 Access denied, banned sending IP", [(5, 7, 606)]),
    ("4.0.947 (a placeholder)", [(4, 0, 947)]),
    ("554 4.4.7 Message expired <421 4.4.2 Connection timed out>", [(4, 4, 7), (4, 4, 2)]),
    # The code alone (an ESP's JSON field), and one at the end of a line.
    ("5.1.1", [(5, 1, 1)]),
    ("Status: 5.1.1\nAction: failed", [(5, 1, 1)]),
    ("421-4.7.0 [192.0.2.1 15] Try again later", [(4, 7, 0)]),
    # Punctuation around the code.
    ("User unknown (5.1.1).", [(5, 1, 1)]),
    ("the code was 5.2.1.", [(5, 2, 1)]),
    ("[5.7.26]", [(5, 7, 26)]),
    ("code=5.1.10;", [(5, 1, 10)]),
    ("'5.7.1'", [(5, 7, 1)]),
    ("x5.1.1", [(5, 1, 1)]),
    ("5.1.1, 5.2.2", [(5, 1, 1), (5, 2, 2)]),
    ("5.1.1/5.1.2", [(5, 1, 1), (5, 1, 2)]),
    ("Blocked (5.7.1)...", [(5, 7, 1)]),
    ("user unknown 5.1.1.\n4.2.2 over quota", [(5, 1, 1), (4, 2, 2)]),
    # Leading zeros are read as numbers.
    ("5.01.001", [(5, 1, 1)]),
    # Not a code: part of a longer run of digits and dots.
    ("from 10.5.1.1 port 25", []),
    ("host 192.168.5.1.1", []),
    ("5.1.1.20", []),
    ("version 25.1.1", []),
    ("5.1.1234", []),
    ("1234.5.1.1", []),
    ("15.1.1 and 5.1.1.1", []),
    # Not a code: wrong class, missing parts, too many digits.
    ("3.1.1 and 6.1.1 and 1.1.1", []),
    ("5.1. and 5..1 and .5.1.1", []),
    ("5.1234.1", []),
    # The generic form of the reference ("X.1.1") names no code of a real answer.
    ("X.1.1 and x.1.1", []),
    # Only ASCII digits are digits.
    ("5.\u0661.\u0661", []),
    ("\u0665.1.1", []),
    # A code right after a reply code, a dash or a letter still counts.
    ("550-5.1.1", [(5, 1, 1)]),
    ("DSN:5.4.4", [(5, 4, 4)]),
]
