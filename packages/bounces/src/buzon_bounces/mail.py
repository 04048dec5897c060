"""The view of a message that format modules work on: headers, notification text,
delivery-status blocks and the returned message, each computed once and only if asked."""

from __future__ import annotations

import re

from . import mime

# Lines that start the copy of the returned message in text-only bounces.
_MARKER_AFTER_DASHES = (
    r"this is a copy of (?:the|your) message",
    r"below this line is a copy of the message",
    r"original message(?: follows| headers?)?",
    r"unsent message follows",
    r"the header of the original message",
    r"(?:start of )?returned (?:message|mail\b)",
    r"message (?:text|header) follows",
    r"original mail follows",
    r"undelivered message follows",
)
_MARKER_ALONE = (
    r"(?:\*+ ?)?original message (?:follows|headers?)",
    r"message headers follow",
    r"included is a copy of the message header",
    r"the original message (?:was|is) (?:attached|below|included)",
    r"original mail as follows",
    r"------ ?original message ?------",
    r"----- ?the following is (?:a copy of )?the original message",
)
# Matched against the text with a newline put in front: every match starts with a
# newline (where a line starts), which the regex engine finds quickly.
_MARKERS = (
    r"\n(?:[ \t>]*)(?:-+ ?(?:"
    + "|".join(_MARKER_AFTER_DASHES)
    + ")|"
    + "|".join(_MARKER_ALONE)
    + ")"
)
_ORIGINAL_MARKERS = re.compile("(?i)" + _MARKERS)
# The same for ASCII text lower-cased (the patterns are in lower case): without
# IGNORECASE the engine skips the alternatives that cannot start where it is.
_ORIGINAL_MARKERS_LOWERED = re.compile(_MARKERS)
_HTML_TAG_RE = re.compile(r"<[^<>]{0,2000}>")
_HTML_ENTITY = {"&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'"}


def html_to_text(html: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>|</h\d>", "\n", html)
    text = _HTML_TAG_RE.sub("", text)
    for entity, char in _HTML_ENTITY.items():
        text = text.replace(entity, char)
    return text


# How much of the notification text the format detectors read, lower-cased, at most.
HEAD_SIZE = 5000


class Mail:
    """A parsed message as seen by the bounce formats.

    Its properties are computed on first read and kept: `_cached_<name>` holds the value
    (None until read; `_has_<name>` says whether it was read, for values that can be
    None), `_read_<name>` computes it. Plain attributes, not a caching descriptor
    writing to the instance's `__dict__`: the class is compiled by mypyc (see
    setup.py), and a compiled class has no `__dict__`.
    """

    def __init__(self, top: mime.Part) -> None:
        self.top = top
        self._cached_subject: str | None = None
        self._cached_sender: str | None = None
        self._cached_subject_lower: str | None = None
        self._cached_parts: list[mime.Part] | None = None
        self._cached_leaves: list[mime.Part] | None = None
        self._cached_report_type: str | None = None
        self._cached_original_part: mime.Part | None = None
        self._has_original_part = False
        self._cached_body: str | None = None
        self._cached_lowered_body: str | None = None
        self._has_lowered_body = False
        self._cached_lowered_head: str | None = None
        self._has_lowered_head = False
        self._cached_original_marker: tuple[int, int] | None = None
        self._has_original_marker = False
        self._cached_notification: str | None = None
        self._cached_original_text: str | None = None
        self._cached_original: mime.Part | None = None
        self._has_original = False
        self._cached_delivery_status_texts: list[str] | None = None

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> Mail:
        return cls(mime.parse(raw))

    # -- headers of the bounce itself --------------------------------------------
    def header(self, name: str) -> str:
        return self.top.header(name)

    @property
    def subject(self) -> str:
        if self._cached_subject is None:
            self._cached_subject = self._read_subject()
        return self._cached_subject

    def _read_subject(self) -> str:
        return mime.decode_words(self.top.header("subject"))

    @property
    def sender(self) -> str:
        if self._cached_sender is None:
            self._cached_sender = self._read_sender()
        return self._cached_sender

    def _read_sender(self) -> str:
        """The decoded From header, lower-cased, for cheap detection."""
        return mime.decode_words(self.top.header("from")).lower()

    @property
    def subject_lower(self) -> str:
        if self._cached_subject_lower is None:
            self._cached_subject_lower = self._read_subject_lower()
        return self._cached_subject_lower

    def _read_subject_lower(self) -> str:
        return self.subject.lower()

    # -- parts ---------------------------------------------------------------
    @property
    def parts(self) -> list[mime.Part]:
        if self._cached_parts is None:
            self._cached_parts = self._read_parts()
        return self._cached_parts

    def _read_parts(self) -> list[mime.Part]:
        """All parts outside the returned message, in order (top first)."""
        return mime.walk(self.top)

    @property
    def leaves(self) -> list[mime.Part]:
        if self._cached_leaves is None:
            self._cached_leaves = self._read_leaves()
        return self._cached_leaves

    def _read_leaves(self) -> list[mime.Part]:
        return [p for p in self.parts if not p.children and not p.is_multipart]

    @property
    def report_type(self) -> str:
        if self._cached_report_type is None:
            self._cached_report_type = self._read_report_type()
        return self._cached_report_type

    def _read_report_type(self) -> str:
        if self.top.content_type == "multipart/report":
            return self.top.params.get("report-type", "").lower()
        for part in self.parts:
            if part.content_type == "multipart/report":
                return part.params.get("report-type", "").lower()
        return ""

    @property
    def original_part(self) -> mime.Part | None:
        if not self._has_original_part:
            self._cached_original_part = self._read_original_part()
            self._has_original_part = True
        return self._cached_original_part

    def _read_original_part(self) -> mime.Part | None:
        """The returned message (or its headers) when it is a MIME part of its own."""
        for part in self.parts:
            ctype = part.content_type
            if ctype in ("message/rfc822", "message/global", "message/partial") and part.children:
                return part.children[0]
            if ctype in (
                "text/rfc822-headers",
                "text/rfc822-header",
                "message/rfc822-headers",
                "text/global-headers",
                "message/global-headers",
            ):
                return mime.Part(head=part.text().lstrip("\n"), body="", depth=part.depth)
        return None

    @property
    def body(self) -> str:
        if self._cached_body is None:
            self._cached_body = self._read_body()
        return self._cached_body

    def _read_body(self) -> str:
        """The human-readable notification text, the returned message cut off where possible."""
        chunks: list[str] = []
        html: list[str] = []
        for part in self.leaves:
            ctype = part.content_type
            if ctype in ("text/plain", "text/enriched") or ctype.startswith("text/plain"):
                chunks.append(part.text())
            elif ctype == "text/html":
                html.append(part.text())
            elif ctype in ("message/delivery-status", "message/global-delivery-status"):
                continue
            elif ctype.startswith("text/") and not ctype.endswith("headers"):
                chunks.append(part.text())
        if not chunks and html:
            chunks = [html_to_text(h) for h in html]
        if not chunks and not self.top.children:
            chunks.append(self.top.text())
        return "\n".join(chunks)

    @property
    def _lowered_body(self) -> str | None:
        if not self._has_lowered_body:
            self._cached_lowered_body = self._read_lowered_body()
            self._has_lowered_body = True
        return self._cached_lowered_body

    def _read_lowered_body(self) -> str | None:
        """`body` lower-cased, when that leaves every character in its place (ASCII)."""
        body = self.body
        return body.lower() if body.isascii() else None

    @property
    def _lowered_head(self) -> str | None:
        if not self._has_lowered_head:
            self._cached_lowered_head = self._read_lowered_head()
            self._has_lowered_head = True
        return self._cached_lowered_head

    def _read_lowered_head(self) -> str | None:
        """The first `HEAD_SIZE` characters of `body` lower-cased, when that leaves every
        character in its place (ASCII): the detectors ask for such heads of several sizes."""
        lowered = self._lowered_body
        if lowered is not None:
            return lowered[:HEAD_SIZE]
        head = self.body[:HEAD_SIZE]
        return head.lower() if head.isascii() else None

    def lowered_head(self, size: int) -> str:
        """`body[:size].lower()` for `size` up to `HEAD_SIZE`, lower-cased once per message."""
        head = self._lowered_head
        if head is None or size > HEAD_SIZE:
            return self.body[:size].lower()
        return head[:size]

    def lowered_notification_head(self, size: int) -> str:
        """`notification[:size].lower()` (the notification is where `body` starts)."""
        return self.lowered_head(min(size, len(self.notification)))

    @property
    def _original_marker(self) -> tuple[int, int] | None:
        if not self._has_original_marker:
            self._cached_original_marker = self._read_original_marker()
            self._has_original_marker = True
        return self._cached_original_marker

    def _read_original_marker(self) -> tuple[int, int] | None:
        """Where the first marker line of a returned copy starts and ends in `body`."""
        lowered = self._lowered_body
        if lowered is not None:
            match = _ORIGINAL_MARKERS_LOWERED.search("\n" + lowered)
        else:
            match = _ORIGINAL_MARKERS.search("\n" + self.body)
        return (match.start(), match.end() - 1) if match else None

    @property
    def notification(self) -> str:
        if self._cached_notification is None:
            self._cached_notification = self._read_notification()
        return self._cached_notification

    def _read_notification(self) -> str:
        """`body` up to the copy of the returned message, for text-only bounces."""
        text = self.body
        match = self._original_marker
        if match:
            return text[: match[0]]
        return text

    @property
    def original_text(self) -> str:
        if self._cached_original_text is None:
            self._cached_original_text = self._read_original_text()
        return self._cached_original_text

    def _read_original_text(self) -> str:
        """Text of the returned message inside a text-only bounce (after its marker)."""
        text = self.body
        match = self._original_marker
        if match:
            rest = text[match[1] :]
            return rest.split("\n", 1)[1] if "\n" in rest else ""
        return ""

    @property
    def original(self) -> mime.Part | None:
        if not self._has_original:
            self._cached_original = self._read_original()
            self._has_original = True
        return self._cached_original

    def _read_original(self) -> mime.Part | None:
        """Headers of the returned message, from its own part or from the text."""
        part = self.original_part
        if part is not None:
            return part
        text = self.original_text.lstrip("\n")
        if text:
            lines = [
                line.strip() if line[:1] in " \t>" and ":" in line[:40] else line
                for line in text.split("\n")[:200]
            ]
            # Some formats indent the copy; undo a uniform indent.
            text = "\n".join(lines)
            if mime.looks_like_header_block(text):
                head, _ = mime.split_head_body(text)
                return mime.Part(head=head, body="", depth=1)
        return None

    def original_header(self, name: str) -> str:
        part = self.original
        return part.header(name) if part is not None else ""

    @property
    def delivery_status_texts(self) -> list[str]:
        if self._cached_delivery_status_texts is None:
            self._cached_delivery_status_texts = self._read_delivery_status_texts()
        return self._cached_delivery_status_texts

    def _read_delivery_status_texts(self) -> list[str]:
        """Raw text of every message/delivery-status-like part."""
        texts: list[str] = []
        for part in self.parts:
            ctype = part.content_type
            if ctype in (
                "message/delivery-status",
                "message/global-delivery-status",
                "text/delivery-status",
                "message/delivery-status-notification",
            ):
                texts.append(part.text())
        return texts
