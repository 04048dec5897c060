"""Complete Spanish: every message in the code is in the catalogue, translated; every
workspace page, rendered for a Spanish-speaking admin, holds none of our English."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

import buzon
from buzon.rules.models import Trigger, View
from buzon.tickets.models import Role, User
from workspace.delivery_states import seed_delivery_states

SOURCE = Path(buzon.__file__).parent
CATALOGUE = SOURCE / "locale" / "es" / "LC_MESSAGES" / "django.po"

# Words of our own interface that must never be left in English on a Spanish page.
# (Language pickers name each language in itself: "English" is allowed there; Spanish
# says "tickets" too, as the seed's own wording does.)
ENGLISH_UI_WORDS = [
    "Queued", "Delivered", "Failed", "Suppressed", "Search", "Settings",
    "Reply", "Submit", "Sending", "Delayed", "Retrying", "Handed off", "Not sent",
    "Expired", "Unverified", "Events log", "Conversation", "Requester", "Assignee",
    "Status", "Subject", "Priority", "Views", "Sign out", "Preferences", "Save",
    "Profile", "Delivery", "Reason", "Codes", "Attempts", "When", "Receiving server",
    "Our mail relay", "Who should act", "What you can do", "Close", "Notify", "Trigger",
    "Email notification", "Created", "Updated", "Revoke", "Create a token", "No tokens",
    "never", "Open", "Pending", "Solved", "Internal note", "Public reply", "Unassigned",
    "Your unsolved", "Recently solved", "gave up", "next try", "Last attempt",
]  # fmt: skip


def _entries(po: str) -> list[str]:
    return [e for e in po.split("\n\n") if "msgid" in e and not e.lstrip().startswith("#~")]


def _unquote(entry: str, key: str) -> str:
    """The text of `msgid`/`msgstr` in one .po entry (joined continuation lines)."""
    match = re.search(rf'^{key} ((?:".*"\n?)+)', entry + "\n", re.M)
    if not match:
        return ""
    parts = re.findall(r'"(.*)"', match.group(1))
    return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode()


def test_every_message_in_the_code_is_in_the_catalogue_and_translated(
    tmp_path, settings, monkeypatch
):
    """makemessages over a copy of the code, against the shipped catalogue: a message
    the catalogue lacks comes out untranslated (or fuzzy, guessed from a similar one)."""
    copy = tmp_path / "buzon"
    shutil.copytree(
        SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo", "migrations")
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], no_obsolete=True, verbosity=0)
    po = (copy / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text()
    entries = _entries(po)[1:]
    fuzzy = [_unquote(e, "msgid") for e in entries if "#, fuzzy" in e]
    untranslated = [
        _unquote(e, "msgid") for e in entries
        if not _unquote(e, "msgstr") and not _unquote(e, r"msgstr\[0\]")
    ]  # fmt: skip
    assert fuzzy == [] and untranslated == [], (
        "messages missing from src/buzon/locale/es (add and translate them)",
        fuzzy,
        untranslated,
    )


class _Text(HTMLParser):
    """The text a reader meets: text nodes and the attributes read aloud or shown."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "value")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.server_words = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("script", "style") or (tag == "pre" and "diagnostic" in classes):
            self.skip += 1  # the servers' own words stay as received
            return
        if tag == "code":
            self.skip += 1
            return
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES and value and dict(attrs).get("type") != "hidden":
                if tag == "button" and dict(attrs).get("name") == "locale":
                    continue  # language pickers: each language in its own name
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def spanish_pages(db, settings) -> dict[str, str]:
    """Every workspace page, rendered in Spanish for a Spanish-speaking admin, with a
    ticket in each delivery state, for an account whose language is Spanish (its
    standard triggers' emails too)."""
    settings.LANGUAGE_CODE = "es"
    return _render_every_page()


def _render_every_page() -> dict[str, str]:
    admin = User.objects.create_user(
        "lucia@helpdesk.test", "Lucía Admin", password="x-pass-123", role=Role.ADMIN, locale="es"
    )
    ids = seed_delivery_states(admin)
    client = Client()
    client.force_login(admin)
    ticket = ids["ticket"]
    someone = User.objects.get(email="suprimida@example.com")
    urls = {
        "ticket": f"/tickets/{ticket}/",
        "events log": f"/tickets/{ticket}/?log=events",
        "events partial": f"/tickets/{ticket}/events/",
        "profile": f"/users/{someone.pk}/",
        "search": "/search/?q=factura",
        "search, nothing found": "/search/?q=zzzzqqq",
        "codes": "/codes/",
        "code": "/codes/5.1.1/",
        "health": "/health/",
        "mailboxes": "/settings/mailboxes/",
        "preferences": "/preferences/",
        "api tokens": "/settings/api-tokens/",
    }
    for view in View.objects.filter(active=True):
        urls[f"view {view.title}"] = f"/views/{view.pk}/"
    for trigger in Trigger.objects.all():
        urls[f"trigger {trigger.title}"] = f"/triggers/{trigger.pk}/"
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        pages[name] = response.content.decode()
    login = Client(HTTP_ACCEPT_LANGUAGE="es").get("/login/")
    pages["sign-in"] = login.content.decode()
    return pages


def _english_messages() -> list[str]:
    """Our English messages of two words or more whose Spanish differs."""
    found = []
    for entry in _entries(CATALOGUE.read_text())[1:]:
        english, spanish = _unquote(entry, "msgid"), _unquote(entry, "msgstr")
        words = re.sub(r"%\(\w+\)[sd]|\{\{.*?\}\}|<[^>]+>", " ", english).split()
        if len(words) >= 2 and spanish and spanish != english and "%" not in english:
            found.append(english)
    return found


def test_no_spanish_page_shows_a_message_of_ours_in_english(spanish_pages):
    english = _english_messages()
    assert len(english) > 300  # the catalogue was read
    left = {
        name: [m for m in english if m in visible_text(html)]
        for name, html in spanish_pages.items()
    }
    assert {name: found for name, found in left.items() if found} == {}
    # Each delivery state, in the glossary's Spanish.
    ticket = visible_text(spanish_pages["ticket"])
    for words in (
        "En cola",
        "Retrasado para Ramón Lento, reintentando. Último intento:",
        "No se pudo entregar a Rita Rechazo: La dirección no existe",
        "No se pudo entregar a Elena Llena: se dejó de reintentar. Último intento:",
        "No enviado a Susana Suprimida: la dirección está suprimida desde el",
    ):
        assert words in ticket, words
    # The servers' words stay as received, in their own box.
    assert "Recipient address rejected: no such user" in spanish_pages["events log"]


def test_no_spanish_page_shows_an_english_word_of_our_interface(spanish_pages):
    left = {}
    for name, html in spanish_pages.items():
        text = visible_text(html)
        found = [w for w in ENGLISH_UI_WORDS if re.search(rf"\b{re.escape(w)}\b", text)]
        if found:
            left[name] = found
    assert left == {}
