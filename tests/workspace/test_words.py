"""Fixed words translated once per language: each page still gets its own language."""

from django.utils import translation

from buzon.workspace import glossary, words


def test_each_page_gets_the_words_of_its_own_language():
    delivered = glossary.STATE_LABELS[glossary.DELIVERED]
    for language, close, state in [
        ("es", "Cerrar", "Entregado"),
        ("en", "Close", "Delivered"),
        ("es", "Cerrar", "Entregado"),
    ]:
        with translation.override(language), words.once_per_language():
            assert words.gettext("Close") == close
            assert words.text(delivered) == state
            assert glossary.state_label(glossary.DELIVERED) == state


def test_outside_a_page_the_words_are_djangos():
    with translation.override("es"):
        assert words.gettext("Close") == "Cerrar"
        assert words.text(glossary.STATE_LABELS[glossary.DELIVERED]) == "Entregado"
        assert words.text(42) == "42"
