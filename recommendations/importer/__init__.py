"""The Secretariat's import: read a Matrix in whatever shape it comes, plan, apply.

- ``readers``: the file into tables of cells (XLSX, ODS, CSV; ``documents``: DOCX, PDF).
- ``headers``: each table's header band and what its columns hold.
- ``values``: statuses, mandate-holders, dates read from cells (``text``: how words compare).
- ``planner``: what each cell would change, against the database and its history.
- ``applying``: the write, under a lock, re-planned, all or nothing.
"""

from recommendations.importer.applying import ChoicesChanged, Outcome, PlanChanged, apply_import
from recommendations.importer.headers import importable_fields
from recommendations.importer.planner import Choices, Plan, plan_import
from recommendations.importer.readers import (
    EXTENSIONS,
    MAX_BYTES,
    MAX_ROWS,
    Document,
    ImportFileError,
    read_document,
)

__all__ = [
    "EXTENSIONS",
    "MAX_BYTES",
    "MAX_ROWS",
    "Choices",
    "ChoicesChanged",
    "Document",
    "ImportFileError",
    "Outcome",
    "Plan",
    "PlanChanged",
    "apply_import",
    "importable_fields",
    "plan_import",
    "read_document",
]
