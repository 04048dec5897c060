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
from dataclasses import dataclass, field
from email.header import decode_header, make_header

MAX_BYTES = 512 * 1024  # only the first 512 KiB of a message is examined
MAX_DEPTH = 24
MAX_PARTS = 200
MAX_HEADER_LINES = 1000

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
    if b"\x1b$" in data[:4096]:
        names.append("iso-2022-jp")
    names.append("utf-8")
    for name in names:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


@dataclass(slots=True)
class Part:
    """One MIME entity. `body` is the raw body as latin-1 text (lossless)."""

    headers: list[tuple[str, str]]
    body: str
    depth: int
    content_type: str = "text/plain"
    params: dict[str, str] = field(default_factory=dict)
    children: list[Part] = field(default_factory=list)
    _text: str | None = None

    def header(self, name: str) -> str:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return ""

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    def text(self) -> str:
        """The body decoded from its transfer encoding and charset."""
        if self._text is None:
            self._text = _decode_body(self)
        return self._text


def _decode_body(part: Part) -> str:
    raw = part.body.encode("latin-1", "replace")
    encoding = part.header("content-transfer-encoding").strip().lower()
    try:
        if encoding == "base64":
            cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", raw)
            cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
            raw = base64.b64decode(cleaned, validate=False)
        elif encoding == "quoted-printable":
            raw = quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        pass
    return to_text(raw, part.params.get("charset")).replace("\r\n", "\n").replace("\r", "\n")


# A header line and its continuation lines: the name (up to 100 printable characters but
# the colon), white space, the colon, then the rest of the line and every following line
# that starts with white space.
_HEADER_RE = re.compile(r"^([!-9;-~]{1,100})[ \t]*:(.*(?:\n[ \t].*)*)", re.MULTILINE)
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
    headers = []
    for match in _HEADER_RE.finditer(block):
        value = match.group(2)
        if "\n" in value:
            value = " ".join(piece.strip() for piece in value.split("\n"))
        else:
            value = value.strip()
        headers.append((match.group(1).lower(), value))
    return headers


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


def _content_type(headers: list[tuple[str, str]], default: str) -> tuple[str, dict[str, str]]:
    raw = ""
    for key, value in headers:
        if key == "content-type":
            raw = value
            break
    if not raw:
        return default, {}
    ctype = raw.split(";", 1)[0].strip().lower() or default
    if "/" not in ctype:
        ctype = default
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM_RE.finditer(raw[:2000])
    }
    return ctype, params


def _parse_entity(text: str, depth: int, budget: _Budget, default_type: str) -> Part:
    budget.parts += 1
    head, body = split_head_body(text)
    headers = parse_headers(head)
    ctype, params = _content_type(headers, default_type)
    part = Part(headers=headers, body=body, depth=depth, content_type=ctype, params=params)
    if depth >= MAX_DEPTH or budget.parts >= MAX_PARTS:
        return part
    if ctype.startswith("multipart/"):
        boundary = params.get("boundary", "")
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
        encoding = part.header("content-transfer-encoding").strip().lower()
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
