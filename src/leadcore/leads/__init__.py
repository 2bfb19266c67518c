"""The lead lifecycle: records, intake rules, queries, conversion and reports.

Pure records and rules; the use cases live in :mod:`leadcore.services.leads`
(``s.leads``) and :mod:`leadcore.services.reports` (``s.reports``).

>>> from leadcore.leads import normalize_phone
>>> normalize_phone("+44 20 7946 0958", None)
'+442079460958'
"""

from __future__ import annotations

from leadcore.leads._conversion import Account, Contact, Conversion, Opportunity
from leadcore.leads._intake import (
    DuplicateMatch,
    FieldDefinition,
    FieldType,
    LeadSettings,
    is_duplicate,
    normalize_email,
    normalize_phone,
)
from leadcore.leads._model import (
    FieldValue,
    HistoryEntry,
    HistoryKind,
    Lead,
    Note,
    Source,
    Task,
    TaskDraft,
    TaskKind,
)
from leadcore.leads._pipeline import (
    CURRENCIES,
    PipelineEntry,
    PipelineEntryKind,
    PipelineKey,
    PipelineReport,
    PipelineRow,
    PipelineSettings,
    RecordPage,
    currency_problem,
    stage_probability,
)
from leadcore.leads._project import Project
from leadcore.leads._query import Cursor, HistoryPage, LeadQuery, Page, Scope, hidden_done
from leadcore.leads._reports import FunnelRow, StatusTime, TransitionRate
from leadcore.leads._rows import ImportInterrupted, ImportOutcome, ImportReport, ImportRow
from leadcore.leads._serde import register as _register_serde
from leadcore.leads._terms import AnyTerm, LeadField, LeadTerm, TermOp

__all__ = [
    "CURRENCIES",
    "Account",
    "AnyTerm",
    "Contact",
    "Conversion",
    "Cursor",
    "DuplicateMatch",
    "FieldDefinition",
    "FieldType",
    "FieldValue",
    "FunnelRow",
    "HistoryEntry",
    "HistoryKind",
    "HistoryPage",
    "ImportInterrupted",
    "ImportOutcome",
    "ImportReport",
    "ImportRow",
    "Lead",
    "LeadField",
    "LeadQuery",
    "LeadSettings",
    "LeadTerm",
    "Note",
    "Opportunity",
    "Page",
    "PipelineEntry",
    "PipelineEntryKind",
    "PipelineKey",
    "PipelineReport",
    "PipelineRow",
    "PipelineSettings",
    "Project",
    "RecordPage",
    "Scope",
    "Source",
    "StatusTime",
    "Task",
    "TaskDraft",
    "TaskKind",
    "TermOp",
    "TransitionRate",
    "currency_problem",
    "hidden_done",
    "is_duplicate",
    "normalize_email",
    "normalize_phone",
    "stage_probability",
]

_register_serde()
