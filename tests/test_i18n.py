"""The French interface: a complete catalogue, compiled, and used by every page.

The catalogue is read in pure Python (no gettext tools at test time): the .po must have no
untranslated and no fuzzy entry, and the committed .mo must hold exactly what the .po says, so
a forgotten ``msgfmt`` fails here.
"""

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# French typography in the catalogue: typographic apostrophe, no-break space before ":" and
# inside guillemets. Expected strings are written plainly here and passed through french().
NBSP = "\u00a0"
APOSTROPHE = "\u2019"


def french(text: str) -> str:
    text = text.replace("'", APOSTROPHE).replace(" :", f"{NBSP}:")
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


NOT_YET_RECORDED_FR = "Pas encore enregistré(e)"
SHOWN_IN_ENGLISH_FR = french(
    "Affiché en anglais : aucun texte en français n'est encore enregistré."
)
# Interface strings that must not be left in English on a French page.
ENGLISH_STRINGS = [
    "Not yet recorded",
    "Skip to content",
    "Mandate-holders",
    "Assessment status",
    "Implementation status",
    "Only facts with a recorded source are shown",
]
R227_TEXT_START = "In order to address the disparity between the OTP resources"


#
# A small .po reader
#


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # form -> text; 0 when singular
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The msgid as gettext keys it (a context is joined with EOT)."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def unquote(quoted: str) -> str:
    assert quoted.startswith('"'), quoted
    assert quoted.endswith('"'), quoted
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), quoted[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries in file order, the header (msgid "") first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None  # the string continuation lines extend

    def finish():
        nonlocal entry, target
        if entry.msgstr or entry.msgid or entry.msgid_plural:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue  # translator, reference, previous-msgid and obsolete comments
        elif line.startswith('"'):
            assert target is not None, f"line {number}: a string outside any keyword"
            name, form = target
            if name == "msgstr":
                entry.msgstr[form] += unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + unquote(line))
        else:
            match = _KEYWORD.match(line)
            assert match, f"line {number}: cannot read {raw!r}"
            name, form, quoted = match.group(1), match.group(2), match.group(3)
            if name in ("msgctxt", "msgid") and entry.msgstr:
                finish()  # a new entry without a blank line between
            if name == "msgid":
                entry.line = number
            if name.startswith("msgstr"):
                index = int(form) if form is not None else 0
                entry.msgstr[index] = unquote(quoted)
                target = ("msgstr", index)
            else:
                setattr(entry, name, unquote(quoted))
                target = (name, 0)
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def header(po_entries) -> dict[str, str]:
    first = po_entries[0]
    assert first.msgid == "", "the .po starts with its header"
    return dict(line.split(": ", 1) for line in first.msgstr[0].splitlines() if ": " in line)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    return [entry for entry in po_entries if entry.msgid != ""]


def describe(entry: Entry) -> str:
    return f"django.po line {entry.line}: {entry.msgid!r}"


#
# The catalogue
#


def test_the_reader_sees_every_entry_of_the_po(messages):
    text = PO_PATH.read_text(encoding="utf-8")
    active_msgids = len(re.findall(r"^msgid ", text, flags=re.MULTILINE)) - 1  # the header
    assert len(messages) == active_msgids
    assert len(messages) > 250
    assert any(entry.msgid_plural for entry in messages)


def test_the_header_declares_french_and_its_two_plural_forms(header, po_entries):
    assert header["Language"] == "fr"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert "fuzzy" not in po_entries[0].flags


def test_every_entry_is_translated_and_none_is_fuzzy(messages):
    fuzzy = [describe(entry) for entry in messages if "fuzzy" in entry.flags]
    assert not fuzzy
    untranslated = []
    for entry in messages:
        forms = [0, 1] if entry.msgid_plural else [0]
        if sorted(entry.msgstr) != forms or not all(entry.msgstr.values()):
            untranslated.append(describe(entry))
    assert not untranslated


def test_translations_keep_placeholders_and_add_no_markup(messages):
    placeholder = re.compile(r"%\((\w+)\)[sd]|\{\w+\}")
    problems = []
    for entry in messages:
        for form, text in entry.msgstr.items():
            source = entry.msgid_plural if form and entry.msgid_plural else entry.msgid
            if "python-format" in entry.flags and sorted(placeholder.findall(text)) != sorted(
                placeholder.findall(source)
            ):
                problems.append(f"{describe(entry)}: placeholders differ in {text!r}")
            if ("<" in text) != ("<" in source):
                problems.append(f"{describe(entry)}: markup differs in {text!r}")
    assert not problems


def test_the_french_vocabulary_is_the_agreed_one(messages):
    translated = {entry.msgid: entry.msgstr[0] for entry in messages if not entry.msgid_plural}
    assert translated["Not yet recorded"] == NOT_YET_RECORDED_FR
    assert translated["Matrix"] == "Matrice"
    assert translated["Mandate-holders"] == "Titulaires de mandat"
    assert translated["mandate-holder"] == "titulaire de mandat"
    assert translated["Implementation"] == "Mise en œuvre"
    tagline = next(msgid for msgid in translated if msgid.startswith("Independent Expert Review"))
    assert "Examen par des experts indépendants" in translated[tagline]
    lede = next(msgid for msgid in translated if msgid.startswith("The Independent Expert Review"))
    assert "Assemblée des États Parties" in translated[lede]
    assert "Cour pénale internationale" in translated[lede]


#
# The compiled catalogue
#


@pytest.fixture(scope="module")
def compiled() -> gettext.GNUTranslations:
    with MO_PATH.open("rb") as mo:
        return gettext.GNUTranslations(mo)


def test_the_committed_mo_matches_the_po(messages, compiled):
    # GNUTranslations keeps msgid -> msgstr, and (msgid, n) -> plural form n, in _catalog.
    catalog = compiled._catalog
    expected = {}
    for entry in messages:
        if entry.msgid_plural:
            expected.update({(entry.key, form): text for form, text in entry.msgstr.items()})
        else:
            expected[entry.key] = entry.msgstr[0]
    differing = [
        f"{key!r}: .po says {text!r}, .mo says {catalog.get(key)!r}"
        for key, text in expected.items()
        if catalog.get(key) != text
    ]
    assert not differing, "recompile: msgfmt --check -o django.mo django.po"
    stale = set(catalog) - set(expected) - {""}
    assert not stale, "the .mo holds entries the .po no longer has: recompile it"


def test_the_mo_uses_the_french_plural_rule(compiled):
    singular, plural = "%(counter)s recommendation", "%(counter)s recommendations"
    assert compiled.ngettext(singular, plural, 0) == "%(counter)s recommandation"
    assert compiled.ngettext(singular, plural, 1) == "%(counter)s recommandation"
    assert compiled.ngettext(singular, plural, 2) == "%(counter)s recommandations"
    assert compiled.info()["language"] == "fr"


#
# The pages in French
#


@pytest.fixture
def french_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


def page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", ["État d'avancement des recommandations de l'IER", "Graphiques de l'état"]),
        ("/matrix/", ["Matrice des recommandations de l'IER", "Appliquer les filtres"]),
        ("/recommendations/R227/", ["Recommandation R227", "Historique des modifications"]),
        ("/mandate-holders/", ["Organe de la Cour", "Groupe de travail ou groupe d'étude"]),
    ],
)
def test_the_public_pages_speak_french(french_client, url, expected):
    content = page(french_client.get(url))
    assert '<html lang="fr">' in content
    assert "Titulaires de mandat" in content  # the navigation
    assert french(f"mention « {NOT_YET_RECORDED_FR} »") in content  # the footer
    for text in expected:
        assert french(text) in content
    for text in ENGLISH_STRINGS:
        assert text not in content


@pytest.mark.django_db
def test_the_matrix_in_french_lists_the_french_labels_and_counts(french_client):
    content = page(french_client.get("/matrix/"))
    # The vocabulary's French label (label_fr in fixtures/assessment_statuses.csv).
    assert re.search(r'</svg>Évaluée positivement <span class="count">\(\d+\)</span>', content)
    assert "Positively assessed" not in content
    assert re.search(rf'{re.escape(NOT_YET_RECORDED_FR)} <span class="count">\(\d+\)', content)
    assert "384 recommandations affichées sur 384" in content
    assert "Showing" not in content


@pytest.mark.django_db
def test_messages_written_in_python_are_french(french_client):
    content = page(french_client.get("/matrix/?cluster=IX"))
    assert french("Groupe thématique : la valeur « IX » est inconnue et a été ignorée.") in content
    assert "is not a known value" not in content


@pytest.mark.django_db
def test_english_stays_the_default(client):
    content = page(client.get("/matrix/"))
    assert '<html lang="en">' in content
    assert "Not yet recorded" in content
    assert NOT_YET_RECORDED_FR not in content


@pytest.mark.django_db
def test_the_back_office_speaks_french(secretariat_client):
    secretariat_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    content = page(secretariat_client.get("/admin/recommendations/recommendation/"))
    assert '<html lang="fr"' in content
    assert "Définir le statut des recommandations sélectionnées…" in content
    assert "Titulaires de mandat" in content  # a column
    assert french("statut de l'évaluation") in content  # a filter, from the verbose name
    assert "Set status on the selected recommendations" not in content


#
# The language switcher
#


@pytest.mark.django_db
def test_the_language_switcher_turns_the_next_page_french_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/matrix/"})
    assert response.status_code == 302
    assert response["Location"] == "/matrix/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    content = page(client.get(response["Location"]))
    assert '<html lang="fr">' in content
    assert french("Matrice des recommandations de l'IER") in content
    assert '<option value="fr" lang="fr" selected>Français</option>' in content

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/matrix/"})
    assert response["Location"] == "/matrix/"
    content = page(client.get("/matrix/"))
    assert '<html lang="en">' in content
    assert "Matrix of the IER recommendations" in content


#
# A recommendation with no French text
#


@pytest.mark.django_db
def test_a_text_recorded_only_in_english_is_marked_as_english(french_client, rec):
    r227 = rec(227)
    assert r227.text.startswith(R227_TEXT_START)
    assert r227.text_fr == ""
    content = page(french_client.get("/recommendations/R227/"))
    assert re.search(
        rf'<blockquote class="rec-full-text" lang="en">\s*<p>{re.escape(R227_TEXT_START)}',
        content,
    )
    assert f'<p class="note">{SHOWN_IN_ENGLISH_FR}</p>' in content
    french_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = page(french_client.get("/recommendations/R227/"))
    assert '<blockquote class="rec-full-text">' in english
    assert "Shown in English" not in english


@pytest.mark.django_db
def test_titles_recorded_only_in_english_are_marked_on_french_pages(french_client):
    # The parts and part I's sections have their official French titles (ICC-ASP/19/16's
    # French version); the subsections have none recorded (fixtures): WCAG 3.1.2.
    matrix = page(french_client.get("/matrix/"))
    assert '<label for="f-cluster-I">I. Gouvernance' in matrix
    assert '<span lang="en">Structure of the Court</span>' in matrix
    detail = page(french_client.get("/recommendations/R14/"))
    assert "<li>I. Gouvernance</li>" in detail
    assert "<li>A. Gouvernance unifiée</li>" in detail
    assert '<li lang="en">4. Working Culture at the Court</li>' in detail
    dashboard = page(french_client.get("/"))
    assert ">I. Gouvernance</a>" in dashboard
    english = page(Client().get("/matrix/"))
    assert '<span lang="en">Structure of the Court</span>' not in english
    assert '<label for="f-cluster-I">I. Governance' in english
