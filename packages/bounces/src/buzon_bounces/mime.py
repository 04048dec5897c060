"""A small, bounded MIME reader that keeps each part's raw text.

Bounces are read through this rather than `email.parser` because the parsers here need
the raw text of `message/delivery-status` parts (whose blank lines are often missing),
and because hostile input must be bounded: size, depth and number of parts are capped,
and nothing in here can raise on malformed input.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import quopri
import re
from email.header import decode_header, make_header

MAX_BYTES = 512 * 1024  # only the first 512 KiB of a message is examined
MAX_DEPTH = 24
MAX_PARTS = 200
MAX_HEADER_LINES = 1000
# How many headers of a part inside the message are looked up one by one before its
# header block is split (see `Part._look_up`).
_NAMES_BEFORE_INDEX = 6

_PARAM_RE = re.compile(
    r"""(?i);\s*([a-z0-9*_\-]{1,40})\s*=\s*(?:"([^"]{0,500})"|([^;\s]{1,500}))"""
)
_HEADER_NAME_RE = re.compile(r"[!-9;-~]{1,100}")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (and raw UTF-8 or ISO-2022-JP header bytes, which the
    reader keeps as latin-1); leave the text alone if that fails."""
    if not value.isascii() or "\x1b" in value:
        with contextlib.suppress(UnicodeEncodeError):
            value = to_text(value.encode("latin-1"), None)
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def to_text(data: bytes, charset: str | None) -> str:
    if not data:
        return ""
    names = []
    if charset:
        names.append(charset.strip().strip('"').lower())
    if data.find(b"\x1b$", 0, 4096) >= 0:  # in the first 4 KiB (without copying them)
        names.append("iso-2022-jp")
    names.append("utf-8")
    for name in names:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


class Part:
    """One MIME entity. `body` is the raw body as latin-1 text (lossless).

    The header block is split into fields only when asked for: most parts are only asked
    for their Content-Type and Content-Transfer-Encoding, which are looked up in the
    block directly (with the same result as splitting it).
    """

    __slots__ = (
        "_first",
        "_folded",
        "_head",
        "_headers",
        "_looked_up",
        "_params",
        "_params_from",
        "_simple",
        "_text",
        "body",
        "children",
        "content_type",
        "depth",
    )

    def __init__(
        self,
        headers: list[tuple[str, str]] | None = None,
        body: str = "",
        depth: int = 0,
        content_type: str = "text/plain",
        params: dict[str, str] | None = None,
        children: list[Part] | None = None,
        *,
        head: str = "",
    ) -> None:
        self._headers = headers
        self._head = head
        self._looked_up: dict[str, str] | None = None
        self._first: dict[str, str] | None = None
        self._folded: dict[str, str] | None = None
        self._simple: bool | None = None
        self._text: str | None = None
        self.body = body
        self.depth = depth
        self.content_type = content_type
        self._params = params
        self._params_from = ""
        self.children = children if children is not None else []

    @property
    def params(self) -> dict[str, str]:
        """The Content-Type's parameters (lower-case names), read when first asked for."""
        if self._params is None:
            self._params = _params(self._params_from)
        return self._params

    @property
    def headers(self) -> list[tuple[str, str]]:
        """(lower-case name, value) pairs, in order."""
        if self._headers is None:
            if self._simple:
                self._headers = _split_simple(self._head)
            else:
                self._headers = parse_headers(self._head)
        return self._headers

    def header(self, name: str) -> str:
        """The first value of header `name`, or ""."""
        name = name.lower()
        first = self._first
        if first is None:
            if self.depth > 0 and self._headers is None:
                value = self._look_up(name)
                if value is not None:
                    return value
            first = self._index()
        value = first.get(name)
        if value is None:
            folded = self._folded
            raw = folded.get(name) if folded is not None else None
            if raw is None:
                return ""
            # Unfolded when first asked for: most headers (Received:...) never are.
            value = first[name] = _unfold(raw)
        return value

    def _look_up(self, name: str) -> str | None:
        """`header(name)` found in the block itself, for the first few names asked of a
        simple block inside the message (a returned message is asked for two or three
        of its headers: cheaper than splitting the block); None past those."""
        looked_up = self._looked_up
        if looked_up is None:
            looked_up = self._looked_up = {}
        value = looked_up.get(name)
        if value is None and len(looked_up) < _NAMES_BEFORE_INDEX:
            if self._simple is None:
                self._simple = _is_simple_block(self._head)
            if self._simple:
                value = looked_up[name] = _find_header(self._head, name)
        return value

    def _index(self) -> dict[str, str]:
        """Prepare `header`: the first value of each header, as the split block gives it,
        or (for a simple block not yet split) as found in it, still folded."""
        first: dict[str, str] = {}
        if self._headers is None:
            if self._simple is None:
                self._simple = _is_simple_block(self._head)
            if self._simple:
                # In reverse, so that the first of repeated headers is the one kept.
                self._folded = {
                    name.lower(): value
                    for name, value in reversed(_HEADER_RE.findall("\n" + self._head))
                }
                self._first = first
                return first
        for key, value in self.headers:
            if key not in first:
                first[key] = value
        self._first = first
        return first

    def structural_header(self, name: str) -> str:
        """`header(name)`, found without splitting the whole block where that gives the
        same (for the few headers the MIME structure needs). The top-level block is
        indexed at once: the formats ask it for several headers anyway."""
        if self.depth > 0 and self._first is None and self._headers is None:
            if self._simple is None:
                self._simple = _is_simple_block(self._head)
            if self._simple:
                return _find_header(self._head, name)
        return self.header(name)

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    def text(self) -> str:
        """The body decoded from its transfer encoding and charset."""
        if self._text is None:
            self._text = _decode_body(self)
        return self._text


# Every byte that is not in the base64 alphabet (dropped before decoding).
_NOT_BASE64 = bytes(
    b for b in range(256) if not (chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/="))
)


def _decode_body(part: Part) -> str:
    raw = part.body.encode("latin-1", "replace")
    encoding = part.structural_header("content-transfer-encoding").strip().lower()
    try:
        if encoding == "base64":
            cleaned = raw.translate(None, _NOT_BASE64)
            cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
            raw = base64.b64decode(cleaned, validate=False)
        elif encoding == "quoted-printable":
            raw = quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        pass
    text = to_text(raw, part.params.get("charset"))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# A header line and its continuation lines: the name (up to 100 printable characters but
# the colon), white space, the colon, then the rest of the line and every following line
# that starts with white space. Matched against the block with a newline put in front, so
# that every match starts with a newline (which the regex engine looks for quickly).
_HEADER_RE = re.compile(r"\n([!-9;-~]{1,100})[ \t]*:(.*(?:\n[ \t].*)*)")
# A line ending in ";" followed by an unindented line with "=" and no colon: a parameter
# someone forgot to indent, which the line-by-line reader joins to the header before.
_FORGOTTEN_PARAMETER_RE = re.compile(r";[ \t]*\n[^ \t\n:][^:\n]*=|;[ \t]*\n=")


def parse_headers(block: str) -> list[tuple[str, str]]:
    """Unfold and split a header block into (lower-case name, value) pairs.

    Only the first `MAX_HEADER_LINES` + 1 lines are read. The lines of a folded value
    are stripped and joined with one space; a line that is neither a header nor a
    continuation ends the header before it.
    """
    if block.count("\n") > MAX_HEADER_LINES:
        block = "\n".join(block.split("\n", MAX_HEADER_LINES + 1)[: MAX_HEADER_LINES + 1])
    if _FORGOTTEN_PARAMETER_RE.search(block):
        return _parse_header_lines(block.split("\n"))
    return _split_simple(block)


def _split_simple(block: str) -> list[tuple[str, str]]:
    return [(name.lower(), _unfold(value)) for name, value in _HEADER_RE.findall("\n" + block)]


def _unfold(value: str) -> str:
    if "\n" in value:
        return " ".join(map(str.strip, value.split("\n")))
    return value.strip()


def _parse_header_lines(lines: list[str]) -> list[tuple[str, str]]:
    """`parse_headers` line by line (for a block with a parameter line left unindented)."""
    headers: list[tuple[str, str]] = []
    name = ""
    value_lines: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if name:
                value_lines.append(line.strip())
            continue
        if name and value_lines[-1].endswith(";") and "=" in line and ":" not in line:
            value_lines.append(line.strip())
            continue
        if name:
            headers.append((name, " ".join(value_lines)))
            name = ""
        colon = line.find(":")
        if colon > 0 and _HEADER_NAME_RE.fullmatch(line[:colon].rstrip()):
            name = line[:colon].rstrip().lower()
            value_lines = [line[colon + 1 :].strip()]
    if name:
        headers.append((name, " ".join(value_lines)))
    return headers


def _is_simple_block(block: str) -> bool:
    """True when `parse_headers` reads `block` with `_HEADER_RE` alone (so that one
    header can be looked up the same way without reading the others)."""
    return block.count("\n") <= MAX_HEADER_LINES and not _FORGOTTEN_PARAMETER_RE.search(block)


_ONE_HEADER_RE: dict[str, re.Pattern[str]] = {}


def _find_header(block: str, name: str) -> str:
    """The first value of header `name` (lower case) in a simple block, as
    `parse_headers` gives it: `_HEADER_RE` with the name spelt in either case."""
    pattern = _ONE_HEADER_RE.get(name)
    if pattern is None:
        if len(_ONE_HEADER_RE) > 100 or not _HEADER_NAME_RE.fullmatch(name):
            return next((value for key, value in parse_headers(block) if key == name), "")
        spelt = "".join(
            f"[{c.upper()}{c}]" if c.isalpha() and c.isascii() else re.escape(c) for c in name
        )
        pattern = re.compile(rf"\n{spelt}[ \t]*:(.*(?:\n[ \t].*)*)")
        _ONE_HEADER_RE[name] = pattern
    match = pattern.search("\n" + block)
    return "" if match is None else _unfold(match.group(1))


def split_head_body(text: str) -> tuple[str, str]:
    """Split at the first blank line. A body with no header block has no headers."""
    if text.startswith("\n"):
        return "", text[1:]
    end = text.find("\n\n")
    if end < 0:
        return text, ""
    return text[:end], text[end + 2 :]


def looks_like_header_block(text: str) -> bool:
    first = text.lstrip("\n").split("\n", 1)[0]
    colon = first.find(":")
    return colon > 0 and _HEADER_NAME_RE.fullmatch(first[:colon]) is not None


class _Budget:
    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts = 0


def _content_type(raw: str, default: str) -> str:
    if not raw:
        return default
    ctype = raw.split(";", 1)[0].strip().lower() or default
    if "/" not in ctype:
        ctype = default
    return ctype


def _params(raw: str) -> dict[str, str]:
    if ";" not in raw:
        return {}
    return {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM_RE.finditer(raw[:2000])
    }


def _parse_entity(text: str, depth: int, budget: _Budget, default_type: str) -> Part:
    budget.parts += 1
    head, body = split_head_body(text)
    part = Part(body=body, depth=depth, head=head)
    raw_type = part.structural_header("content-type")
    part.content_type = ctype = _content_type(raw_type, default_type)
    part._params_from = raw_type
    if depth >= MAX_DEPTH or budget.parts >= MAX_PARTS:
        return part
    if ctype.startswith("multipart/"):
        boundary = part.params.get("boundary", "")
        if boundary:
            child_default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
            for chunk in _split_multipart(body, boundary):
                if budget.parts >= MAX_PARTS:
                    break
                part.children.append(_parse_entity(chunk, depth + 1, budget, child_default))
        if not part.children and body.strip():
            # A multipart whose delimiters were lost (or never written): its body is text.
            part.children.append(_parse_entity("\n" + body, depth + 1, budget, "text/plain"))
    elif ctype in ("message/rfc822", "message/global", "message/partial"):
        encoding = part.structural_header("content-transfer-encoding").strip().lower()
        inner = body
        if encoding in ("base64", "quoted-printable"):
            inner = part.text()
        part.children.append(_parse_entity(inner.lstrip("\n"), depth + 1, budget, "text/plain"))
    return part


def _split_multipart(body: str, boundary: str) -> list[str]:
    delimiter = "--" + boundary
    chunks: list[str] = []
    text = "\n" + body
    marker = "\n" + delimiter
    start = text.find(marker)
    if start < 0:
        return chunks
    while start >= 0 and len(chunks) < MAX_PARTS:
        line_end = text.find("\n", start + 1)
        if text.startswith("--", start + len(marker)):
            break  # closing delimiter
        if line_end < 0:
            break
        nxt = text.find(marker, line_end)
        chunk = text[line_end + 1 : nxt if nxt >= 0 else len(text)]
        chunks.append(chunk)
        start = nxt
    return chunks


def parse(raw: bytes | str) -> Part:
    """Parse a whole message; never raises on malformed input."""
    if isinstance(raw, str):
        raw = raw[:MAX_BYTES].encode("utf-8", "surrogateescape")
    text = raw[:MAX_BYTES].decode("latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # mbox "From " separator line
    if text.startswith("From "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return _parse_entity(text, 0, _Budget(), "text/plain")


def walk(part: Part, into_messages: bool = False) -> list[Part]:
    """Every part in document order; message/rfc822 contents only if asked."""
    out: list[Part] = []
    stack = [part]
    while stack and len(out) < MAX_PARTS * 2:
        current = stack.pop()
        out.append(current)
        if current.content_type.startswith("message/") and not into_messages:
            continue
        stack.extend(reversed(current.children))
    return out
