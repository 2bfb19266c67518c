"""The calendar tables of schema version 2 (see :mod:`leadcore.storage.sql._schema_v2`).

An activity is one row however often it repeats. Beside its record, the row
keeps what a window query filters on: the *span* of the activity
(:func:`~leadcore.calendar._span.activity_span`) as two instants,
``first_us`` and ``last_us`` (a series without end keeps the largest
BIGINT, so that "overlaps ``[start, end)``" is two plain range conditions,
``first_us < end`` and ``last_us > start``, that an index serves).

The participants and the linked clients have a row each in tables of their
own, which repeat the span: a user's (or a client's) window is one range scan
of one index, ``(organization_id, user_id, last_us, first_us, activity_id)``, with no
expansion of any series and no visit to activities outside the window.

An organisation's activity types, its statuses and its calendar settings are
one revisioned row each.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData

from leadcore.storage.sql._schema import _id, _org, _record, _records, _revision, _table

__all__ = ["NEVER", "define_calendar_tables"]

#: ``last_us`` of a series that never ends: later than any instant.
NEVER: Final = 2**63 - 1


def _span() -> tuple[Column[int], Column[int]]:
    return (
        Column("first_us", BigInteger, nullable=False),
        Column("last_us", BigInteger, nullable=False),
    )


def define_calendar_tables(metadata: MetaData) -> None:
    """Add the calendar tables to ``metadata``."""
    m = metadata
    activities = _records(
        m,
        "leadcore_activities",
        Column("version", Integer, nullable=False),
        *_span(),
        _id("type_id"),
        _id("status_id"),
        # Whether an edited occurrence sets a status of its own (see ``in_use``).
        Column("status_edited", Boolean, nullable=False),
    )
    a = activities.c
    # One index serves windows: ``last_us > start`` leaves out the past, which is what
    # grows, and ``first_us < end`` is tested in the index. (With a second index on
    # ``first_us``, SQLite, which has no statistics, may pick either.)
    Index("ix_leadcore_activities_window", a.organization_id, a.last_us, a.first_us)
    Index("ix_leadcore_activities_type", a.organization_id, a.type_id)
    Index("ix_leadcore_activities_status", a.organization_id, a.status_id)

    users = _table(
        m,
        "leadcore_activity_users",
        _org(primary_key=True),
        _id("user_id", primary_key=True),
        _id("activity_id", primary_key=True),
        *_span(),
    )
    u = users.c
    Index(
        "ix_leadcore_activity_users_window",
        u.organization_id,
        u.user_id,
        u.last_us,
        u.first_us,
        u.activity_id,
    )
    Index("ix_leadcore_activity_users_activity", u.organization_id, u.activity_id)

    clients = _table(
        m,
        "leadcore_activity_clients",
        _org(primary_key=True),
        _id("client_kind", primary_key=True),
        _id("client_id", primary_key=True),
        _id("activity_id", primary_key=True),
        *_span(),
    )
    c = clients.c
    Index(
        "ix_leadcore_activity_clients_window",
        c.organization_id,
        c.client_kind,
        c.client_id,
        c.last_us,
        c.first_us,
        c.activity_id,
    )
    Index("ix_leadcore_activity_clients_activity", c.organization_id, c.activity_id)

    for name in ("leadcore_activity_types", "leadcore_activity_statuses"):
        _table(m, name, _org(primary_key=True), _revision(), _record())
    _table(m, "leadcore_calendar_settings", _org(primary_key=True), _revision(), _record())
