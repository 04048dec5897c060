"""The SMTP code reference: reply codes (RFC 5321) and enhanced status codes (RFC 3463)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from buzon.workspace.access import agent_required


def smtpcodes() -> ModuleType | None:
    """`buzon.smtpcodes` (the code reference library), or None until it is installed."""
    try:
        return importlib.import_module("buzon.smtpcodes")
    except ImportError:
        return None


def language() -> str:
    return (get_language() or "en")[:2]


@agent_required
def code_reference(request: HttpRequest) -> HttpResponse:
    library = smtpcodes()
    text = request.GET.get("q", "").strip()
    context: dict[str, Any] = {"q": text, "available": library is not None}
    if library is not None:
        lang = language()
        if text:
            found = list(library.search_codes(text, lang))
            context["reply_codes"] = [c for c in found if c.kind == "reply"]
            context["enhanced_codes"] = [c for c in found if c.kind != "reply"]
        else:
            context["reply_codes"] = list(library.reply_codes(lang))
            context["enhanced_codes"] = list(library.enhanced_codes(lang))
    return render(request, "workspace/codes.html", context)


@agent_required
def code_detail(request: HttpRequest, code: str) -> HttpResponse:
    library = smtpcodes()
    if library is None:
        raise Http404("the code reference is not installed")
    info = library.lookup(code, language())
    if info is None:
        raise Http404("unknown code")
    return render(request, "workspace/code_detail.html", {"info": info})
