"""Spanish: the seed's wording for delivery failures, and a complete, compiled catalogue."""

import re
from pathlib import Path

import pytest
from django.utils import translation

import buzon

LOCALE = Path(buzon.__file__).parent / "locale" / "es" / "LC_MESSAGES"


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("Failed to deliver", "No se pudo entregar"),
        ("Failed to deliver to some recipients", "No se pudo entregar a algunos destinatarios"),
        ("Email notification", "Notificación por correo electrónico"),
        ("Events log", "Registro de eventos"),
        ("Tickets with email delivery failures",
         "Tickets con fallas en la entrega de correo electrónico"),
    ],
)  # fmt: skip
def test_the_seeds_wording(english, spanish):
    with translation.override("es"):
        assert translation.gettext(english) == spanish


def test_every_message_is_translated_and_none_is_fuzzy():
    po = (LOCALE / "django.po").read_text()
    entries = [e for e in po.split("\n\n") if "msgid" in e and not e.startswith("#~")]
    untranslated = [
        e for e in entries[1:] if re.search(r'^msgstr(\[\d\])? ""\n?$', e.strip(), re.M)
        and not re.search(r'^msgstr(\[\d\])? ""\n"', e, re.M)
    ]  # fmt: skip
    assert untranslated == []
    assert "#, fuzzy" not in po


def test_the_compiled_catalogue_has_every_message():
    import gettext

    with open(LOCALE / "django.mo", "rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    compiled = {k[0] if isinstance(k, tuple) else k.split("\x04")[-1] for k in catalog} - {""}
    po = (LOCALE / "django.po").read_text()
    source = set(re.findall(r'^msgid "(.+)"$', po, re.M))
    assert source - compiled == set(), "run `buzon compilemessages` in src/buzon"
