"""HTML from outside is read once, in linear time, and bounded in size and nesting
before the sanitiser sees it; ordinary HTML comes out exactly as nh3 alone makes it."""

from __future__ import annotations

import re

import nh3
from hypothesis import given, settings
from hypothesis import strategies as st

from buzon.tickets import html as H
from buzon.tickets.html import (
    MAX_DEPTH,
    MAX_HTML_CHARS,
    SanitizedHtml,
    bound_html,
    html_to_text,
    sanitize_html,
)


def nh3_alone(value: str) -> str:
    return nh3.clean(
        value,
        tags=H.ALLOWED_TAGS,
        attributes=H.ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def depth(markup: str) -> int:
    """How deep the (balanced) elements of `markup` nest."""
    deepest = level = 0
    for closing, name in re.findall(r"<(/?)([a-z][a-z0-9]*)[^>]*>", markup):
        if name in H.VOID:
            continue
        level += -1 if closing else 1
        deepest = max(deepest, level)
    return deepest


EMAILS = [
    "<p>Hola <b>Ana</b>,<br>gracias &amp; saludos</p><p>x &lt; y</p>",
    '<html><head><style>p{color:red}</style><title>T</title></head><body><div dir="auto">'
    "Hi<div><br></div><div>line</div></div></body></html>",
    "<table><tr><td>a<td>b<tr><td colspan=2>c</table>",
    "<ul><li>one<li>two<li>three</ul><p>after",
    "<p>para<p>para2<div>block</div>",
    '<a href="http://x.example/?a=1&amp;b=2" onclick="evil()">link</a> <img src=x onerror=a()>',
    "<script>alert(1)</script><p>ok</p><style>x</style>",
    "<!-- comment --><p>t</p><!DOCTYPE html><?xml x?>",
    "<textarea><b>not bold</b> &amp;</textarea><xmp><i>x</i> &amp;</xmp>",
    '<p title="a > b">quoted gt</p>',
    "a < b and c > d <3 </ p>",
    '<o:p>outlook</o:p><p class=MsoNormal><span style="font-size:11pt">Text<o:p></o:p></span></p>',
    "<h1>one<h2>two</h2>",
    "<blockquote type=cite>quoted<blockquote>deeper</blockquote></blockquote>",
    '<a href="mailto:a@b.c">m</a><a href="javascript:alert(1)">j</a>',
    "<pre>  code\n  more</pre>",
    "<svg><rect/><p>x</p></svg>",
    "<select><option>a<option>b</select>",
    "<table><div>x</div><tr><td>y</table>",
    "<dl><dt>term<dd>definition<dt>term 2<dd>def 2</dl>",
    "<p>an unclosed tag at the end <div title='never",
    "<p>text</p><div",
]


def test_ordinary_email_html_comes_out_as_nh3_alone_makes_it():
    for value in EMAILS:
        assert sanitize_html(value) == nh3_alone(value), value


PHRASING = ["a", "b", "code", "em", "i", "span", "strong", "u"]
FLOW = ["div", "blockquote", "p", "h1", "h2", "pre", "ul", "ol"]
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@st.composite
def trees(draw, level=0, content="flow", in_link=False):
    """Valid HTML (its content models respected: no block in a paragraph or a link, no
    link in a link), which an HTML5 parser reads without implied end tags."""
    if content == "items":
        items = [draw(trees(level + 1, "flow", in_link)) for _ in range(draw(st.integers(1, 3)))]
        return "".join(f"<li>{item}</li>" for item in items)
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["text", "element", "br"] if level < 8 else ["text"]))
        if kind == "text":
            parts.append(draw(words).replace("&", "&amp;").replace("<", "&lt;"))
        elif kind == "br":
            parts.append("<br>")
        else:
            names = PHRASING + (FLOW if content == "flow" else [])
            name = draw(st.sampled_from([n for n in names if not (in_link and n == "a")]))
            inner_content = (
                "items" if name in ("ul", "ol")
                else "flow" if name in ("div", "blockquote")
                else "phrasing"
            )  # fmt: skip
            attrs = ' href="https://example.com/a?b=1"' if name == "a" else ""
            inner = draw(trees(level + 1, inner_content, in_link or name == "a"))
            parts.append(f"<{name}{attrs}>{inner}</{name}>")
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(trees())
def test_well_formed_html_within_the_bounds_is_left_as_nh3_reads_it(markup):
    assert sanitize_html(markup) == nh3_alone(markup)


def test_deep_nesting_is_cut_at_the_limit_and_keeps_every_word():
    markup = "".join(f"<div>w{i} " for i in range(5000))
    out = sanitize_html(markup)
    assert depth(out) == MAX_DEPTH
    assert html_to_text(out).split() == [f"w{i}" for i in range(5000)]


def test_end_tags_of_dropped_start_tags_are_dropped_too():
    inner = "<span>deep</span>"
    markup = "<div>" * (MAX_DEPTH + 10) + inner + "</div>" * (MAX_DEPTH + 10) + "<p>after</p>"
    out = bound_html(markup)
    assert out.endswith("</div><p>after</p>")
    assert depth(out) == MAX_DEPTH


def test_unclosed_paragraphs_rows_and_items_do_not_count_as_nesting():
    rows = "<table>" + "".join(f"<tr><td>{i}<td>x" for i in range(500)) + "</table>"
    items = "<ul>" + "".join(f"<li>{i}" for i in range(500)) + "</ul>"
    paragraphs = "".join(f"<p>{i}" for i in range(500))
    for markup in (rows, items, paragraphs):
        out = bound_html(markup)
        assert depth(out) <= 4
        assert sanitize_html(markup) == nh3_alone(markup)


def test_hostile_shapes_come_out_balanced_and_shallow():
    shapes = [
        "<div " * 20_000,  # unclosed
        '<a title="' * 20_000,  # unclosed quoted values
        "<p " + " ".join(f"a{i}=x" for i in range(20_000)) + ">hi</p>",  # attributes
        "<div><table></div>" * 5_000,  # misnested
        "<b><i><u>" * 5_000,  # formatting
        "<a href=x>" * 5_000,
        "<" * 20_000 + "x",
        "<!--" * 20_000,
        "</" * 20_000,
        "<table><tr><td>" * 5_000,
    ]
    for markup in shapes:
        out = bound_html(markup)
        assert depth(out) <= MAX_DEPTH
        assert out.count("<") == out.count(">")  # every tag whole, every "<" in text escaped
        assert len(out) <= 6 * len(markup)
    attrs = bound_html("<p " + " ".join(f"a{i}=x" for i in range(20_000)) + ">hi</p>")
    assert attrs.count("=") == H.MAX_ATTRIBUTES


def test_size_is_capped_before_anything_is_read():
    markup = "<p>" + "x" * (2 * MAX_HTML_CHARS) + "</p>"
    assert len(sanitize_html(markup)) == len("<p></p>") + MAX_HTML_CHARS - len("<p>")


def test_stop_at_ends_the_document_at_the_first_accepted_start_tag():
    markup = '<div>new text<div class="gmail_quote">On Mon, Ana wrote:<blockquote>old'
    cut = bound_html(markup, stop_at=lambda name, a: "gmail_quote" in a.get("class", ""))
    assert cut == "<div>new text</div>"


def test_sanitised_html_is_not_sanitised_twice():
    once = sanitize_html("<p onclick=x>hi</p>")
    assert isinstance(once, SanitizedHtml) and once == "<p>hi</p>"
    assert sanitize_html(once) is once
