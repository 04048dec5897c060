"""What a person wrote in a reply: quoted history and signatures removed.

The library is mail-parser-reply (maintained, MIT, pure Python, installs from a
wheel, multi-language quote headers and signature phrases). Before it, our own pass
cuts what it misses in the mail Buzón's users send: the Spanish Gmail header
"El … escribió:" (its pattern needs two spaces before "escribió"), quote headers
wrapped over two lines, "-----Original Message-----" / "-----Mensaje original-----",
Outlook's underscore rule, the RFC 3676 signature delimiter "-- ", "Sent from my
iPhone" lines, and a trailing block of ">" lines. If the result is empty (a reply
that only quoted), the whole text is kept: a comment never silently loses what was
sent.

HTML-only replies: known quote containers (Gmail's `gmail_quote`, Apple/Thunderbird
`blockquote type="cite"`, Outlook's `divRplyFwdMsg` and what follows) are cut from
the HTML as the sanitiser reads it, once and in linear time (`tickets.html.sanitize_html`
with `stop_at`, which also bounds its size and nesting); the result is turned into
text that goes through the same stripping.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

from buzon.tickets.html import html_to_text, sanitize_html

LANGUAGES = ["en", "es", "de", "fr", "it", "nl", "sv", "da", "pl", "cs"]
_parser = EmailReplyParser(languages=LANGUAGES)

_WROTE = re.compile(
    r"^\s*(?:On|El|Le|Am|Il|Em|Op|Den|Dne|W dniu)\b.{0,300}?"
    r"(?:wrote|escribió|a écrit|schrieb|ha scritto|escreveu|schreef|skrev|napsal|napisał)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SEPARATORS = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Mensaje original|Message d'origine|"
    r"Ursprüngliche Nachricht|Messaggio originale|Forwarded message|Mensaje reenviado)"
    r"\s*-{2,}|_{20,}|\[\s*(?:Quoted text hidden|Texto citado oculto)\s*\])\s*$",
    re.IGNORECASE,
)
_OUTLOOK_BLOCK = re.compile(r"^\s*\*?(?:From|De|Von|Da)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|Enviado|Fecha|Gesendet|Datum|Envoyé|Inviato|To|Para|An|À|A|"
    r"Subject|Asunto|Betreff|Objet|Oggetto)\s*:",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^\s*(?:Sent from my|Enviado desde mi|Envoyé de mon|Von meinem|Inviato da)\b.{0,60}$",
    re.IGNORECASE,
)
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")


def _is_quote(name: str, attributes: dict[str, str]) -> bool:
    """Does this start tag open the quoted history of a reply (and all that follows)?"""
    if name == "div":
        return "gmail_quote" in attributes.get("class", "").lower() or attributes.get(
            "id", ""
        ).lower().startswith(_QUOTE_IDS)
    if name == "blockquote":
        return attributes.get("type", "").lower().startswith("cite")
    return name == "hr" and attributes.get("id", "").lower().startswith("stopspelling")


# The library reads only the start of a reply (it costs tens of microseconds a line):
# the new part and the quote header that ends it are at the top.
LIBRARY_CHARS = 32_000


def visible_text(text: str) -> str:
    """The new part of a plain-text reply."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cut = _cut(text.split("\n"))
    head = cut[:LIBRARY_CHARS]
    try:
        message = _parser.read(text=head) if head.strip() else None
        if message is None:
            body = ""
        else:
            body = message.replies[0].body if message.replies else message.latest_reply
    except Exception:  # the library must never cost us the comment
        body = head
    body = (body or "").strip()
    if len(cut) > LIBRARY_CHARS and len(body) > 0.9 * len(head.strip()):
        body = cut  # no quoted history in what the library read: keep the whole text
    if not body:
        body = cut.strip()
    return body or text.strip()


def visible_html(html: str) -> tuple[str, str]:
    """(text, sanitised HTML) of the new part of an HTML-only reply."""
    safe = sanitize_html(html, stop_at=_is_quote)
    text = visible_text(html_to_text(safe))
    if not text.strip():
        safe = sanitize_html(html)
        text = html_to_text(safe)
    return text, safe


def _cut(lines: list[str]) -> str:
    kept: list[str] = []
    for i, line in enumerate(lines):
        if not line or line.isspace():  # no marker is blank: keep it without the checks
            kept.append(line)
            continue
        pair = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        if i and (_WROTE.match(line) or (_WROTE.match(pair) and not line.startswith(">"))):
            break
        if _SEPARATORS.match(line):
            break
        if _OUTLOOK_BLOCK.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            break
        if line.rstrip() == "--" and line.startswith("--"):  # RFC 3676 "-- " delimiter
            break
        if _MOBILE.match(line):
            break
        kept.append(line)
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    return "\n".join(kept)
