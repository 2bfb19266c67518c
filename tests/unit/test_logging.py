"""What leadcore logs, under which logger, with which structured fields; and its spans."""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadcore
from leadcore import Leadcore
from leadcore._tracing import use_case_span
from leadcore.errors import ConflictError
from leadcore.events import StoredEvent
from leadcore.services._shared import retry_on_conflict


def test_the_package_logger_has_a_null_handler_and_leaves_the_rest_to_the_host() -> None:
    root = logging.getLogger("leadcore")
    assert leadcore.__name__ == root.name
    assert any(isinstance(h, logging.NullHandler) for h in root.handlers)
    assert root.level == logging.NOTSET  # the host's configuration decides


def test_a_failing_subscriber_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(stored: StoredEvent) -> None:
        raise RuntimeError("mail server down")

    with Leadcore.open() as core, caplog.at_level(logging.ERROR, logger="leadcore"):
        org, _ = core.create_organization("Agency", admin_name="Dana")
        core.events.subscribe("mailer", handler)
        (failure,) = core.events.failures()
    (record,) = [r for r in caplog.records if r.name == "leadcore.services.outbox"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert str(record.exc_info[1]) == "mail server down"
    assert "Traceback" in caplog.text
    assert "handler" in caplog.text  # the frame of the subscriber's own code
    fields = {k: getattr(record, k) for k in ("subscriber", "organization_id", "attempt")}
    assert fields == {"subscriber": "mailer", "organization_id": org.id, "attempt": 1}
    assert record.position == failure.position  # type: ignore[attr-defined]
    assert failure.error == "RuntimeError: mail server down"


@given(failures=st.integers(min_value=0, max_value=4), attempts=st.integers(1, 5))
def test_every_conflict_retried_is_logged_once_and_a_final_one_at_info(
    failures: int, attempts: int
) -> None:
    calls = 0

    def run() -> str:
        nonlocal calls
        calls += 1
        if calls <= failures:
            raise ConflictError(f"race {calls}")
        return "done"

    handler = _Collect()
    logger = logging.getLogger("leadcore.services._shared")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        if failures >= attempts:
            with pytest.raises(ConflictError):
                retry_on_conflict(run, attempts)
        else:
            assert retry_on_conflict(run, attempts) == "done"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    retried = min(failures, attempts - 1)
    debug = [r for r in handler.records if r.levelno == logging.DEBUG]
    info = [r for r in handler.records if r.levelno == logging.INFO]
    assert [r.attempt for r in debug] == list(range(1, retried + 1))  # type: ignore[attr-defined]
    assert len(info) == (1 if failures >= attempts else 0)
    assert all(r.attempts == attempts for r in handler.records)  # type: ignore[attr-defined]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_import_is_logged_with_its_counts(caplog: pytest.LogCaptureFixture) -> None:
    with Leadcore.open() as core, caplog.at_level(logging.INFO, logger="leadcore"):
        org, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
        core.session(admin.id).leads.import_many(
            [
                {"name": "Avi", "phone": "050-555-1234"},
                {"name": "Avi", "phone": "+972 50 555 1234"},
                {"name": ""},
            ]
        )
    (record,) = [r for r in caplog.records if r.name == "leadcore.services.leads._intake"]
    assert record.import_counts == {  # type: ignore[attr-defined]
        "rows": 3,
        "created": 1,
        "duplicates": 1,
        "blacklisted": 0,
        "invalid": 1,
    }
    assert record.organization_id == org.id  # type: ignore[attr-defined]
    assert "imported 3 rows: 1 created" in record.getMessage()


class _Span:
    def __init__(self, name: str, attributes: dict[str, str]) -> None:
        self.name = name
        self.attributes = dict(attributes)
        self.error: BaseException | None = None

    def set_attribute(self, key: str, value: str) -> None:
        self.attributes[key] = value


class _Tracer:
    def __init__(self) -> None:
        self.spans: list[_Span] = []

    @contextmanager
    def start_as_current_span(self, name: str, attributes: dict[str, str]) -> Iterator[_Span]:
        span = _Span(name, attributes)
        self.spans.append(span)
        try:
            yield span
        except BaseException as exc:
            span.error = exc
            raise


@pytest.fixture
def tracer(monkeypatch: pytest.MonkeyPatch) -> _Tracer:
    """A stand-in ``opentelemetry`` package whose tracer keeps the spans."""
    made = _Tracer()
    trace = types.ModuleType("opentelemetry.trace")
    trace.get_tracer = lambda name: made  # type: ignore[attr-defined]
    package = types.ModuleType("opentelemetry")
    package.trace = trace  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "opentelemetry", package)
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", trace)
    monkeypatch.setattr("leadcore._tracing._tracer", leadcore._tracing._UNSET)
    return made


def test_each_use_case_is_a_span_naming_its_action_and_organisation(tracer: _Tracer) -> None:
    with Leadcore.open() as core:
        org, admin = core.create_organization("Agency", admin_name="Dana")
        s = core.session(admin.id)
        lead = s.leads.create("Avi", phones=["+972505551234"])
        with pytest.raises(leadcore.NotFound):
            s.leads.get("lead-nope")
        s.leads.get(lead.id)
    assert [span.name for span in tracer.spans] == [
        "leadcore create leads",
        "leadcore read",
        "leadcore read",
    ]
    assert all(span.attributes["leadcore.organization_id"] == org.id for span in tracer.spans)
    assert any(isinstance(span.error, leadcore.NotFound) for span in tracer.spans)


def test_without_opentelemetry_a_span_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.setattr("leadcore._tracing._tracer", leadcore._tracing._UNSET)
    with use_case_span("anything") as span:
        assert span.set_attribute("k", "v") is None


def test_spans_reach_a_real_opentelemetry_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
    export = pytest.importorskip("opentelemetry.sdk.trace.export")
    memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
    exporter: Any = memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("leadcore")
    monkeypatch.setattr("leadcore._tracing._tracer", tracer)
    with Leadcore.open() as core:
        _, admin = core.create_organization("Agency", admin_name="Dana")
        core.session(admin.id).leads.create("Avi", phones=["+972505551234"])
    finished = exporter.get_finished_spans()
    assert finished
    assert all(span.name.startswith("leadcore ") for span in finished)
