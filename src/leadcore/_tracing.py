"""Optional OpenTelemetry spans, one per use case; nothing at all without OpenTelemetry.

With the ``otel`` extra (``opentelemetry-api``) installed, every use case a
session runs is a span named ``leadcore <action>``, after the action its
permission check names (``leadcore import leads``...; ``leadcore read`` for
a use case that checks none),
with the attributes ``leadcore.action`` and ``leadcore.organization_id``,
from the tracer ``leadcore``. An exception that leaves the use case is
recorded on its span. The host configures the tracer provider and exporters
as usual; leadcore only creates spans.

OpenTelemetry is imported the first time a use case runs, never when leadcore
is imported; without it, :func:`use_case_span` returns a context manager that
does nothing.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any, Final, Protocol

__all__ = ["SpanLike", "use_case_span"]

_TRACER_NAME: Final = "leadcore"
_UNSET: Final = object()
_tracer: Any = _UNSET


class SpanLike(Protocol):
    """What leadcore does with a span: set an attribute."""

    def set_attribute(self, key: str, value: str) -> object:
        """Record one attribute on the span."""


class _NoSpan:
    """The span of a use case when OpenTelemetry is not installed."""

    def set_attribute(self, key: str, value: str) -> object:
        return None


_NO_SPAN: Final = _NoSpan()


def _load_tracer() -> Any:
    global _tracer
    if _tracer is _UNSET:
        try:
            from opentelemetry import trace
        except ImportError:
            _tracer = None
        else:
            # A proxy tracer: it follows whatever provider the host sets, even later.
            _tracer = trace.get_tracer(_TRACER_NAME)
    return _tracer


def use_case_span(action: str) -> AbstractContextManager[SpanLike]:
    """A span around one use case (see the module docs); a no-op without OpenTelemetry."""
    tracer = _load_tracer()
    if tracer is None:
        return nullcontext(_NO_SPAN)
    cm: AbstractContextManager[SpanLike] = tracer.start_as_current_span(
        f"leadcore {action or 'read'}", attributes={"leadcore.action": action or "read"}
    )
    return cm
