"""`{% rendered_once key… %}…{% endrendered_once %}`: a part of the layout rendered once
per process for each value of its keys, then reused.

The workspace's layout repeats on every page the same navigation and shortcut help,
made of a dozen URL reversals and thirty translations: a millisecond of CPU per page
for text that depends only on the language (and on what the block names as keys).
Only a block whose output is fully determined by its keys may use it: never one
that shows a CSRF token, a user's data or anything from the request.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.urls import get_script_prefix

register = template.Library()

_rendered: dict[tuple[Any, ...], str] = {}


class RenderedOnceNode(Node):
    def __init__(self, name: str, keys: list[FilterExpression], nodelist: NodeList) -> None:
        self.name = name
        self.keys = keys
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        # URLs carry the script prefix (a deployment under a sub-path): part of the key.
        keys = (expression.resolve(context) for expression in self.keys)
        key = (self.name, get_script_prefix(), *keys)
        text = _rendered.get(key)
        if text is None:
            text = _rendered[key] = self.nodelist.render(context)
        return text


@register.tag
def rendered_once(parser: Parser, token: Token) -> RenderedOnceNode:
    """`{% rendered_once "name" key1 key2 %}`: the name tells blocks apart."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("rendered_once needs a name")
    nodelist = parser.parse(("endrendered_once",))
    parser.delete_first_token()
    return RenderedOnceNode(bits[1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)


def _forget(**kwargs: Any) -> None:
    # Tests that change settings (languages, URLs) must not see an older rendering.
    _rendered.clear()


setting_changed.connect(_forget)
