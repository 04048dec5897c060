"""The SMTP code reference: reply codes (RFC 5321) and enhanced status codes (RFC 3463)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from buzon.smtpcodes import enhanced_codes, lookup, reply_codes, search_codes
from buzon.workspace.access import agent_required


def language() -> str:
    return (get_language() or "en")[:2]


@agent_required
def code_reference(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    context: dict[str, Any] = {"q": text}
    lang = language()
    if text:
        found = list(search_codes(text, lang))
        context["reply_codes"] = [c for c in found if c.kind == "reply"]
        context["enhanced_codes"] = [c for c in found if c.kind != "reply"]
    else:
        context["reply_codes"] = list(reply_codes(lang))
        context["enhanced_codes"] = list(enhanced_codes(lang))
    return render(request, "workspace/codes.html", context)


@agent_required
def code_detail(request: HttpRequest, code: str) -> HttpResponse:
    info = lookup(code, language())
    if info is None:
        raise Http404("unknown code")
    return render(request, "workspace/code_detail.html", {"info": info})
