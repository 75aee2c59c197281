"""The Matrix import: preview and apply of a 384-row and a 5,000-row file, medians and queries.

Builds a throwaway test database with the reference and demonstration data, then writes a
Matrix as the Secretariat might: an XLSX with a title block, a two-row header ("Assessment"
merged over "Status" and "Date"), and rows that change every recommendation (another
assessment status with its date, another implementation status, a mandate-holder, a remark).
The 5,000-row file gives each recommendation 13 or 14 parts ("R1 (a)" ... "R1 (n)") that agree.

For each file: the median of 5 previews (read and plan) and of 5 applies (each rolled back, so
that each applies the same changes), the SQL queries of one of each, and side by side the
floor: the median of reading the file alone (no database). Then the preview of the 384-row
Matrix written in each format (XLSX, ODS, CSV, DOCX, PDF). Targets: preview < 0.5 s and apply
< 1 s at 384 rows, queries that do not grow with the rows.

    .venv/bin/python bench/import_matrix.py            # SQLite
    DATABASE_URL=postgres://... .venv/bin/python bench/import_matrix.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from recommendations.demo import demo_seed  # noqa: E402
from recommendations.importer import Choices, apply_import, plan_import, read_document  # noqa: E402
from recommendations.models import AssessmentStatus, ImplementationStatus  # noqa: E402
from recommendations.reference import load_reference_data  # noqa: E402
from tests.matrix_files import FORMATS, Sheet, write  # noqa: E402

REPEAT = 5
PARTS = "abcdefghijklmn"


def matrix(rows: int, fmt: str = "xlsx") -> bytes:
    assessments = [s.label_en for s in AssessmentStatus.objects.order_by("order")]
    implementations = [s.label_en for s in ImplementationStatus.objects.order_by("order")]
    holders = ["OTP", "Registry", "Presidency", "CBF", "Bureau"]
    body = []
    for index in range(rows):
        number = index % 384 + 1
        label = f"R{number}" if rows <= 384 else f"R{number} ({PARTS[index // 384]})"
        body.append(
            [
                label,
                assessments[(number + 1) % len(assessments)],
                f"{number % 28 + 1}/11/2022",
                implementations[(number + 2) % len(implementations)],
                holders[number % len(holders)],
                f"Progress reported for R{number} in the bench.",
            ]
        )
    sheet = Sheet(
        "Matrix",
        [
            ["Progress in the assessment of the IER recommendations"] + [None] * 5,
            ["No.", "Assessment", None, "Implementation", "Responsible", "Remarks"],
            [None, "Status", "Date", None, None, None],
            *body,
        ],
        merges=["A1:F1", "B2:C2", "A2:A3", "D2:D3", "E2:E3", "F2:F3"],
    )
    return write(fmt, [sheet])


def median(function) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def rolled_back(function):
    def run():
        with transaction.atomic():
            function()
            transaction.set_rollback(True)

    return run


def report(rows: int) -> None:
    content = matrix(rows)
    document = read_document("matrix.xlsx", content)
    plan = plan_import(document)
    assert not plan.problems, plan.problems[:3]
    assert not plan.conflicts
    assert not plan.unknown
    token = plan.token

    def apply():
        outcome = apply_import(document, Choices(), token=token, user=None)
        assert outcome.changed == 384, outcome.changed

    floor = median(lambda: read_document("matrix.xlsx", content))
    preview = median(lambda: plan_import(read_document("matrix.xlsx", content)))
    applying = median(rolled_back(apply))
    preview_q = queries(lambda: plan_import(document))
    apply_q = queries(rolled_back(apply))
    print(f"\n{rows:,} rows ({len(content) / 1024:.0f} KiB XLSX), {len(plan.items)} changed")
    print(f"{'step':26} {'median s':>9} {'x floor':>8} {'queries':>8}")
    print(f"{'floor: read the file':26} {floor:9.3f} {1:8.1f} {0:8}")
    print(f"{'preview (read + plan)':26} {preview:9.3f} {preview / floor:8.1f} {preview_q:8}")
    print(f"{'apply (lock, plan, write)':26} {applying:9.3f} {applying / floor:8.1f} {apply_q:8}")
    if rows == 384:
        ok = preview < 0.5 and applying < 1
        print("targets (preview < 0.5 s, apply < 1 s):", "met" if ok else "MISSED")


def formats(rows: int) -> None:
    """The preview of the same Matrix in each format the import reads."""
    print(f"\npreview of the {rows}-row Matrix in each format")
    print(f"{'format':8} {'KiB':>6} {'read s':>8} {'preview s':>10}")
    for fmt in FORMATS:
        content = matrix(rows, fmt)
        name = f"matrix.{fmt}"
        read = median(lambda content=content, name=name: read_document(name, content))
        preview = median(
            lambda content=content, name=name: plan_import(read_document(name, content))
        )
        print(f"{fmt:8} {len(content) / 1024:6.0f} {read:8.3f} {preview:10.3f}")


def main():
    setup_test_environment(debug=False)
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor} ({name})")
        load_reference_data()
        demo_seed()
        report(384)
        report(5000)
        formats(384)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
