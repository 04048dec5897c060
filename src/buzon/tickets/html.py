"""Comment bodies: every HTML body is sanitised before it is stored or shown.

HTML comes from outside (email, the API), so its cost is bounded before the sanitiser
(nh3, on html5ever) sees it. An HTML5 tree builder spends time in proportion to the
depth of its stack of open elements on every tag (scope checks), so a megabyte of
nested or unclosed tags costs it quadratic time. `bound_html` first reads the input
once, in linear time, and writes it back as a stream the tree builder can only build
shallowly:

- at most MAX_HTML_CHARS characters are read;
- tags are read as the HTML5 tokenizer reads them (attribute values may hold `>`; an
  unclosed tag or quoted value at the end drops the rest, as a browser does); comments,
  doctypes and processing instructions are dropped; script and style elements are
  dropped with their content; the text of raw-text elements (textarea, title, xmp, …)
  is kept as text;
- every tag is written back clean (lower-case name, at most MAX_ATTRIBUTES attributes,
  values quoted) and text is escaped, so each `<` in the output starts a whole tag;
- elements are tracked on a stack with the implied end tags of HTML5 (a block closes
  an open `p`, an `li` the previous `li`, a cell the previous cell, …) and every
  element is closed explicitly, so the output is balanced; a start tag that would
  nest deeper than MAX_DEPTH is dropped (its content kept), with its end tag.

The tree builder then never holds more open elements than the stack here allows, and
sanitising costs time linear in the input (bench/html/hostile_html.py).
"""

from __future__ import annotations

import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import nh3

MAX_HTML_CHARS = 1_000_000
MAX_DEPTH = 100
MAX_ATTRIBUTES = 64

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}}


class SanitizedHtml(str):
    """HTML that `sanitize_html` returned: sanitising it again returns it unchanged,
    so a body sanitised before a transaction is not sanitised again inside it."""

    __slots__ = ()


# The latest outputs, by value: the same HTML comes back to the sanitiser as plain
# strings (a comment's body read back, rendered into a notification, built into its
# email) and is then recognised instead of being sanitised again.
_RECENT: OrderedDict[str, None] = OrderedDict()
_RECENT_SIZE = 16
_recent_lock = threading.Lock()


def sanitize_html(
    value: str, *, stop_at: Callable[[str, dict[str, str]], bool] | None = None
) -> SanitizedHtml:
    """Keep formatting, drop scripts, styles, event handlers and unknown schemes.
    `stop_at`: see `bound_html`."""
    if stop_at is None:
        if isinstance(value, SanitizedHtml):
            return value
        with _recent_lock:
            if value in _RECENT:
                _RECENT.move_to_end(value)
                return SanitizedHtml(value)
    clean = SanitizedHtml(
        nh3.clean(
            bound_html(value, stop_at=stop_at),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
    with _recent_lock:
        _RECENT[str(clean)] = None
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    return clean


def text_to_html(text: str) -> str:
    """Plain text as safe HTML: escaped, paragraphs on blank lines, <br> on newlines."""
    paragraphs = re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n"))
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p.strip()
    )


_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|tr|blockquote|pre)>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(value: str) -> str:
    """A readable plain-text rendering of (already sanitised) HTML."""
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ----------------------------------------------------------------------- bounding

# A start or end tag as the HTML5 tokenizer reads it: a name, then attributes whose
# values may be quoted (quotes only count after "="). Possessive quantifiers: no
# backtracking, each match is linear in the tag's length.
_SPACE = r"[\t\n\f\r ]"
_TAG_AT = re.compile(
    rf"""<(/?)([A-Za-z][^\t\n\f\r />]*+)
    ((?:[\t\n\f\r /]++
       |[^\t\n\f\r />][^\t\n\f\r />=]*+
        (?:{_SPACE}*+={_SPACE}*+(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >"'][^\t\n\f\r >]*+)?)?
    )*+)>""",
    re.VERBOSE,
)
_ATTRIBUTE = re.compile(
    rf"""([^\t\n\f\r />][^\t\n\f\r />=]*)
    (?:{_SPACE}*={_SPACE}*("[^"]*"|'[^']*'|[^\t\n\f\r >"'][^\t\n\f\r >]*)?)?""",
    re.VERBOSE,
)
_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-:][a-z0-9]+)*")
_ATTRIBUTE_NAME = re.compile(r"[a-z_:][-a-z0-9_:.]*")

VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "image",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
DROPPED_WITH_CONTENT = frozenset({"script", "style"})
# Elements whose content the tokenizer reads as text up to their end tag.
TEXT_ONLY = frozenset({"textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"})
IGNORED = frozenset({"html", "head", "body"})
CLOSES_P = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "header",
        "hgroup",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "search",
        "section",
        "summary",
        "ul",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "listing",
        "form",
        "table",
        "hr",
        "li",
        "dd",
        "dt",
    ]
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Scope boundaries (HTML5 "has an element in … scope"): an open element of a group
# counts only above the innermost open boundary of the kinds listed.
_BOUNDARY_KINDS: dict[str, tuple[str, ...]] = {
    **{
        name: ("scope",)
        for name in [
            "applet",
            "caption",
            "marquee",
            "object",
            "mi",
            "mo",
            "mn",
            "ms",
            "mtext",
            "annotation-xml",
            "foreignobject",
            "desc",
            "td",
            "th",
        ]
    },
    "table": ("scope", "table"),
    "template": ("scope", "table"),
    "button": ("button",),
    "ol": ("list",),
    "ul": ("list",),
    "dl": ("dl",),
    "tr": ("row",),
    "select": ("select",),
    "optgroup": ("optgroup",),
}
# A start tag that closes an open element of its group, when one is open in scope:
# (the group, the boundary kinds of that scope), tried in order until one closes.
_SIBLINGS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "li": ((("li",), ("scope", "list")),),
    "dd": ((("dd", "dt"), ("scope", "dl")),),
    "dt": ((("dd", "dt"), ("scope", "dl")),),
    "tr": ((("tr",), ("table",)), (("td", "th"), ("table",))),
    "td": ((("td", "th"), ("table", "row")),),
    "th": ((("td", "th"), ("table", "row")),),
    "tbody": ((("tbody", "thead", "tfoot", "tr", "td", "th"), ("table",)),),
    "thead": ((("tbody", "thead", "tfoot", "tr", "td", "th"), ("table",)),),
    "tfoot": ((("tbody", "thead", "tfoot", "tr", "td", "th"), ("table",)),),
    "option": ((("option",), ("select", "optgroup")),),
    "optgroup": ((("option", "optgroup"), ("select",)),),
    "a": ((("a",), ("scope",)),),
    "button": ((("button",), ("scope",)),),
    "nobr": ((("nobr",), ("scope",)),),
}
_P_SCOPE = ("scope", "button")

# What a start tag does, by name; names not here are ordinary elements.
_VOID, _CLOSES_P, _HEADING, _SIBLING, _SKIP, _TEXT, _BOUNDARY = 1, 2, 4, 8, 16, 32, 64
_KIND: dict[str, int] = {}
for _names, _flag in (
    (VOID, _VOID),
    (CLOSES_P, _CLOSES_P),
    (HEADINGS, _HEADING),
    (_SIBLINGS, _SIBLING),
    (IGNORED, _SKIP),
    (DROPPED_WITH_CONTENT | TEXT_ONLY, _TEXT),
    (_BOUNDARY_KINDS, _BOUNDARY),
):
    for _name in _names:
        _KIND[_name] = _KIND.get(_name, 0) | _flag

_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone ones: they cannot be encoded
# Where the next construct that is not plain text may start.
_MARKUP = re.compile(r"<[A-Za-z/!?]")


def bound_html(
    value: str,
    *,
    stop_at: Callable[[str, dict[str, str]], bool] | None = None,
) -> str:
    """The HTML rewritten balanced and bounded (see the module's docstring), in time
    linear in its length. `stop_at(name, attributes)`, when given, ends the document at
    the first start tag it accepts (e.g. the quoted history of a reply)."""
    text = _SURROGATE.sub("\ufffd", value[:MAX_HTML_CHARS])
    out: list[str] = []
    emit = out.append
    stack: list[str] = []  # open elements, outermost first
    where: dict[str, list[int]] = {}  # name -> its indexes on the stack
    bounds: dict[str, list[int]] = {
        k: [] for k in ("scope", "button", "list", "dl", "table", "row", "select", "optgroup")
    }
    dropped: dict[str, int] = {}  # start tags dropped for depth, by name

    def pop_to(size: int) -> None:
        while len(stack) > size:
            name = stack.pop()
            where[name].pop()
            if name in _BOUNDARY_KINDS:
                for kind in _BOUNDARY_KINDS[name]:
                    bounds[kind].pop()
            emit(f"</{name}>")

    def close_in_scope(group: tuple[str, ...], kinds: tuple[str, ...]) -> bool:
        index = -1
        for name in group:
            found = where.get(name)
            if found and found[-1] > index:
                index = found[-1]
        if index < 0:
            return False
        for kind in kinds:
            boundary = bounds[kind]
            if boundary and boundary[-1] > index:
                return False
        pop_to(index)
        return True

    find_markup = _MARKUP.search
    match_tag = _TAG_AT.match
    pos, end = 0, len(text)
    while pos < end:
        found = find_markup(text, pos)
        if found is None:
            emit(text[pos:].replace("<", "&lt;"))
            break
        lt = found.start()
        if lt > pos:
            emit(text[pos:lt].replace("<", "&lt;"))
        following = text[lt + 1]
        if following == "!" or following == "?":
            if text.startswith("<!--", lt):
                if text.startswith(("<!-->", "<!--->"), lt):
                    pos = text.index(">", lt) + 1
                else:
                    close = text.find("-->", lt + 4)
                    pos = end if close < 0 else close + 3
            else:
                pos = _skip_to(text, lt, ">")  # doctype, CDATA, <?…>: bogus comments
            continue
        match = match_tag(text, lt)
        if match is None:
            if following != "/":
                break  # a tag (or a quoted value) never closed: the rest is not text
            if text.startswith("</>", lt):
                pos = lt + 3
            elif text[lt + 2 : lt + 3].isalpha():
                break
            else:
                pos = _skip_to(text, lt, ">")  # "</ …>": a bogus comment
            continue
        pos = match.end()
        name = match[2].lower()
        if match[1]:  # an end tag
            if dropped.get(name):
                dropped[name] -= 1
            elif where.get(name):
                pop_to(where[name][-1])
            elif name == "br" or name == "p":  # HTML5 reads </br> as <br>, </p> as <p></p>
                emit("<br>" if name == "br" else "<p></p>")
            continue
        source = match[3]
        attributes = _attributes(source) if source.strip(" /") else {}
        if stop_at is not None and stop_at(name, attributes):
            break
        kind = _KIND.get(name, 0)
        if kind:
            if kind & _SKIP:
                continue
            if kind & _TEXT:
                pos = _text_element(emit, text, pos, name)
                continue
            if kind & _CLOSES_P and where.get("p"):
                close_in_scope(("p",), _P_SCOPE)
            if kind & _HEADING and stack and stack[-1] in HEADINGS:
                pop_to(len(stack) - 1)
            if kind & _SIBLING:
                for group, kinds in _SIBLINGS[name]:
                    if close_in_scope(group, kinds):
                        break
            if kind & _VOID:
                emit(_tag(name, attributes))
                continue
        elif not _NAME.fullmatch(name):
            continue
        if source.endswith("/") and (where.get("svg") or where.get("math")):
            emit(_tag(name, attributes)[:-1] + "/>")
            continue
        if len(stack) >= MAX_DEPTH:
            dropped[name] = dropped.get(name, 0) + 1
            continue
        emit(_tag(name, attributes) if attributes else f"<{name}>")
        where.setdefault(name, []).append(len(stack))
        if kind & _BOUNDARY:
            for boundary in _BOUNDARY_KINDS[name]:
                bounds[boundary].append(len(stack))
        stack.append(name)
    pop_to(0)
    return "".join(out)


def _skip_to(text: str, start: int, marker: str) -> int:
    found = text.find(marker, start)
    return len(text) if found < 0 else found + len(marker)


def _attributes(source: str) -> dict[str, str]:
    """Attribute names (lower case) and values (entities left as written); the first
    of a repeated name wins, as in HTML5."""
    result: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(source):
        name = match[1].lower()
        if name in result or not _ATTRIBUTE_NAME.fullmatch(name):
            continue
        raw = match[2] or ""
        if raw[:1] in ('"', "'"):
            raw = raw[1:-1]
        result[name] = raw
        if len(result) >= MAX_ATTRIBUTES:
            break
    return result


def _text_element(emit: Callable[[str], None], text: str, pos: int, name: str) -> int:
    """Skip a script or style element; keep the text of the others as text."""
    if name == "plaintext":
        content, after = text[pos:], len(text)
    else:
        close = re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE).search(text, pos)
        if close is None:
            content, after = text[pos:], len(text)
        else:
            content = text[pos : close.start()]
            after = _skip_to(text, close.start(), ">")
    if name not in DROPPED_WITH_CONTENT:
        if name in ("textarea", "title"):  # their character references are read
            emit(content.replace("<", "&lt;"))
        else:
            emit(html.escape(content, quote=False))
    return after


def _tag(name: str, attributes: dict[str, str]) -> str:
    if not attributes:
        return f"<{name}>"
    parts = [name]
    for key, value in attributes.items():
        parts.append(f'{key}="{value.replace(chr(34), "&quot;")}"')
    return "<" + " ".join(parts) + ">"
