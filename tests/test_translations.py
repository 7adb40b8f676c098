"""Every string people read is marked for translation and has a Vietnamese entry; the compiled .mo
files are the .po files' current content. No gettext tools needed: see tests/i18n_catalog.py."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests import i18n_catalog as catalog

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale" / "vi" / "LC_MESSAGES"
TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
# Python that produces text for people (the training code and the CLIs speak English to developers).
PYTHON = sorted(
    p for folder in ("accounts", "analysis", "fer_site") for p in (ROOT / folder).rglob("*.py")
    if "migrations" not in p.parts and "management" not in p.parts
)
# ml's error templates (marked with ml.messages.gettext_noop) reach people through analysis.core.messages.
ML_MESSAGES = sorted([ROOT / "ml" / "messages.py", *(ROOT / "ml" / "serving").rglob("*.py")])
# The API's schema (summaries, descriptions, examples) is developer documentation and stays English
# (docs/i18n.md); its error messages are checked like any other message.
SCHEMA_MODULES = {"analysis/api", "accounts/api", "fer_site/api"}
# Words that read the same in both languages: names, formats and units.
ALLOWED_WORDS = frozenset({
    "FER", "API", "CSV", "JSON", "MP4", "MB", "px", "ms", "PublicTest", "DELETE", "JPEG", "PNG", "WebP",
    "Swagger", "UI", "Redoc", "OpenAPI", "YAML", "curl", "Python", "GET", "POST",
})
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture(scope="module")
def django_po() -> dict:
    return catalog.read_po(LOCALE / "django.po")


@pytest.fixture(scope="module")
def djangojs_po() -> dict:
    return catalog.read_po(LOCALE / "djangojs.po")


def _missing(keys: set, po: dict) -> list:
    return sorted((k for k in keys if k not in po or po[k].fuzzy or not all(po[k].msgstr) or not po[k].msgstr),
                  key=str)


# --- (a) nothing left unmarked ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", TEMPLATES, ids=_relative)
def test_template_text_is_inside_translation_tags(path: Path):
    assert catalog.unmarked_template_text(path.read_text(), allowed=ALLOWED_WORDS) == []


@pytest.mark.parametrize("path", PYTHON, ids=_relative)
def test_python_messages_are_marked(path: Path):
    source = path.read_text()
    if any(_relative(path).startswith(m) for m in SCHEMA_MODULES):
        lines = catalog.unmarked_python_messages(source, keywords=False)
    else:
        lines = catalog.unmarked_python_messages(source)
    assert lines == [], f"plain-literal messages at lines {lines} of {_relative(path)}"


@pytest.mark.parametrize("path", SCRIPTS, ids=_relative)
def test_script_sentences_go_through_the_catalogue(path: Path):
    assert catalog.unmarked_script_text(path.read_text()) == []


# --- (b) every marked string has a Vietnamese entry ---------------------------------------------------------------

@pytest.mark.parametrize("path", TEMPLATES, ids=_relative)
def test_template_strings_have_vietnamese(path: Path, django_po):
    assert _missing(catalog.template_msgids(path.read_text()), django_po) == []


@pytest.mark.parametrize("path", PYTHON + ML_MESSAGES, ids=_relative)
def test_python_strings_have_vietnamese(path: Path, django_po):
    assert _missing(catalog.python_msgids(path.read_text()), django_po) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=_relative)
def test_script_strings_have_vietnamese(path: Path, djangojs_po):
    assert _missing(catalog.js_msgids(path.read_text()), djangojs_po) == []


@pytest.mark.parametrize("name", ["django.po", "djangojs.po"])
def test_translations_keep_the_placeholders(name: str):
    for (_, msgid), entry in catalog.read_po(LOCALE / name).items():
        expected = set(PLACEHOLDER.findall(entry.plural or msgid)) | set(PLACEHOLDER.findall(msgid))
        for msgstr in entry.msgstr:
            assert set(PLACEHOLDER.findall(msgstr)) <= expected, (msgid, msgstr)
            assert {p for p in PLACEHOLDER.findall(msgid) if p.startswith("%(")} <= set(PLACEHOLDER.findall(msgstr)) \
                or entry.plural, (msgid, msgstr)


# --- (c) the compiled catalogues are the .po files' content ----------------------------------------------------

@pytest.mark.parametrize("name", ["django", "djangojs"])
def test_mo_matches_po(name: str):
    po = catalog.read_po(LOCALE / f"{name}.po")
    with (LOCALE / f"{name}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for (context, msgid), entry in po.items():
        key = f"{context}\x04{msgid}" if context else msgid
        if entry.plural is None:
            expected[key] = entry.msgstr[0]
        else:
            expected.update({(key, i): s for i, s in enumerate(entry.msgstr)})
    compiled = {k: v for k, v in compiled.items() if k != ""}  # "" is the header
    assert compiled == expected, "the .mo is stale: run compilemessages (docs/i18n.md) and commit it"


# --- The checks can fail ----------------------------------------------------------------------------------------

def test_the_template_scanner_flags_unmarked_text():
    sample = ('{% load i18n %}<h1>{% translate "Statistics" %}</h1><p>Faces per emotion</p>'
              '<button aria-label="Close it">{% blocktranslate %}Delete {{ n }}{% endblocktranslate %}</button>'
              '<script>const hidden = "not prose";</script><span>{{ value }} · FER</span>')
    assert catalog.unmarked_template_text(sample, allowed=ALLOWED_WORDS) == ["Faces", "per", "emotion", "Close", "it"]


def test_the_python_scanner_flags_plain_messages():
    sample = ('messages.success(request, f"Deleted {name}.")\n'
              'messages.success(request, _("Deleted %(name)s.") % {"name": name})\n'
              'raise InvalidUpload("The file is empty.", code="empty_file")\n'
              'field = forms.CharField(label="Name")\n'
              'raise APIError("not_found", _("No such token."))\n')
    assert catalog.unmarked_python_messages(sample) == [1, 3, 4]


def test_the_script_scanner_flags_plain_sentences():
    sample = ('"use strict"; // Say "Hello there." in a comment\n'
              'li.className = "result-item pick-item";\n'
              'say("Connection lost; try again.");\n'
              'label.textContent = gettext("Stopped. The session was saved.");\n'
              'box.textContent = "Nothing was saved";\n')
    assert catalog.unmarked_script_text(sample) == ["Connection lost; try again.", "Nothing was saved"]


def test_a_marked_string_without_vietnamese_is_missing(django_po):
    keys = catalog.template_msgids('{% load i18n %}{% translate "A sentence nobody translated" %}'
                                   '{% translate "Happy" context "emotion" %}')
    assert keys == {(None, "A sentence nobody translated"), ("emotion", "Happy")}
    assert _missing(keys, django_po) == [(None, "A sentence nobody translated")]
    assert catalog.python_msgids('x = pgettext_lazy("emotion", "Sad")\ny = ngettext("%(n)d face", "%(n)d faces", n)') \
        == {("emotion", "Sad"), (None, "%(n)d face")}
    assert catalog.js_msgids('say(gettext("Connecting…")); pgettext("emotion", "Fear")') \
        == {(None, "Connecting…"), ("emotion", "Fear")}
