"""A deliberately broken adapter: MemoryStorage behind a proxy that injects one bug.

:class:`BrokenStorage` delegates every call to a
:class:`~leadcore.storage.memory.MemoryStorage`; given the name of one of
:data:`BUGS`, it changes one repository method (or the unit of work) the way
a real adapter gets it wrong: a write that commits on its own, a version
compared too early, text cut at 255 characters, a case-insensitive
collation, an insert that ignores a taken id... Without a bug it is an honest
adapter and must pass the whole conformance kit; with any bug, the kit must
fail (the mutation check of the kit, ``test_kit_catches_bugs.py``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self, cast

import attrs

from leadcore.errors import ConflictError, NotFound
from leadcore.leads import Cursor, Lead, LeadQuery
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Capabilities, UnitOfWork

__all__ = ["BUGS", "BrokenStorage", "Bug"]


@attrs.frozen
class Bug:
    """One realistic adapter bug: what it is, and the kit check that must catch it."""

    name: str
    what: str
    caught_by: str
    patch: Callable[[BrokenUnitOfWork, str, Repository], None]


class Repository:
    """A repository of the inner unit of work; attributes set on it replace its methods."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class BrokenUnitOfWork:
    """The inner unit of work, with the repositories and hooks the bug changes."""

    def __init__(self, storage: BrokenStorage) -> None:
        self.storage = storage
        self.bug = storage.bug
        self.inner = storage.inner.unit_of_work()
        self.repositories: dict[str, Repository] = {}
        #: Run by :meth:`commit` before (``early``) and after (``late``) the inner commit.
        self.early: list[Callable[[], None]] = []
        self.late: list[Callable[[], None]] = []
        self.commits_on_error = False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        repository = self.repositories.get(name)
        if repository is None:
            repository = self.repositories[name] = Repository(getattr(self.inner, name))
            if self.bug is not None:
                self.bug.patch(self, name, repository)
        return repository

    def own(self) -> UnitOfWork:
        """A separate unit of work of the inner storage (for writes that skip this one)."""
        return self.storage.inner.unit_of_work()

    def __enter__(self) -> Self:
        self.inner.__enter__()
        if self.bug is not None:
            self.bug.patch(self, "", Repository(None))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self.commits_on_error:
            self.commit()
        self.inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        """Run the bug's early hooks, commit the inner unit of work, run the late hooks."""
        for hook in self.early:
            hook()
        self.early.clear()
        self.inner.commit()
        for hook in self.late:
            hook()
        self.late.clear()

    def rollback(self) -> None:
        """Forget the hooks and roll the inner unit of work back."""
        self.early.clear()
        self.late.clear()
        self.inner.rollback()


class BrokenStorage:
    """MemoryStorage behind a proxy; ``bug`` (a name of :data:`BUGS`) breaks one thing."""

    def __init__(self, bug: str | None = None) -> None:
        self.inner = MemoryStorage()
        self.bug = None if bug is None else BUGS[bug]

    @property
    def capabilities(self) -> Capabilities:
        """The inner storage's capabilities."""
        return self.inner.capabilities

    def unit_of_work(self) -> UnitOfWork:
        """A proxy of a unit of work of the inner storage."""
        return cast(UnitOfWork, BrokenUnitOfWork(self))

    def close(self) -> None:
        """Close the inner storage."""
        self.inner.close()


# -- the bugs ---------------------------------------------------------------------------------

Patch = Callable[[BrokenUnitOfWork, str, Repository], None]


def _on(repository_name: str, method: str, make: Callable[[BrokenUnitOfWork, Any], Any]) -> Patch:
    """A patch replacing ``method`` of one repository by ``make(uow, original_repository)``."""

    def patch(uow: BrokenUnitOfWork, name: str, repository: Repository) -> None:
        if name == repository_name:
            setattr(repository, method, make(uow, repository.inner))

    return patch


def _on_enter(change: Callable[[BrokenUnitOfWork], None]) -> Patch:
    def patch(uow: BrokenUnitOfWork, name: str, repository: Repository) -> None:
        if name == "":
            change(uow)

    return patch


def _ignore_taken(uow: BrokenUnitOfWork, inner: Any) -> Callable[[Any], None]:
    """``add`` as ``INSERT ... ON CONFLICT DO NOTHING``: a taken id is silently skipped."""

    def add(record: Any) -> None:
        try:
            inner.add(record)
        except ConflictError:
            return

    return add


def _unkeyed_names(uow: BrokenUnitOfWork, inner: Any) -> Callable[..., Any]:
    """``accounts.matching`` as a key table without the name keys would answer."""

    def matching(organization_id: str, **keys: Any) -> Any:
        keys.pop("name_keys", None)
        return inner.matching(organization_id, **keys)

    return matching


def _map_lead(change: Callable[[Lead], Lead]) -> Callable[[BrokenUnitOfWork, Any], Any]:
    def make(uow: BrokenUnitOfWork, inner: Any) -> Callable[[Lead], None]:
        return lambda lead: inner.add(change(lead))

    return make


def _map_add(change: Callable[[Any], Any]) -> Callable[[BrokenUnitOfWork, Any], Any]:
    def make(uow: BrokenUnitOfWork, inner: Any) -> Callable[[Any], None]:
        return lambda record: inner.add(change(record))

    return make


def _map_update(change: Callable[[Lead, Lead], Lead]) -> Callable[[BrokenUnitOfWork, Any], Any]:
    """``leads.update`` writing ``change(stored, new)`` instead of ``new``."""

    def make(uow: BrokenUnitOfWork, inner: Any) -> Callable[..., None]:
        def update(lead: Lead, *, expected_version: int) -> None:
            stored = inner.get(lead.organization_id, lead.id)
            written = lead if stored is None else change(stored, lead)
            inner.update(written, expected_version=expected_version)

        return update

    return make


def _times_as_utc(lead: Lead) -> Lead:
    # The wall-clock reading kept, the offset dropped: 10:00+02:00 becomes 10:00 UTC.
    return attrs.evolve(
        lead,
        created_at=lead.created_at.replace(tzinfo=UTC),
        updated_at=lead.updated_at.replace(tzinfo=UTC),
    )


def _times_in_utc(lead: Lead) -> Lead:
    return attrs.evolve(
        lead, created_at=lead.created_at.astimezone(UTC), updated_at=lead.updated_at.astimezone(UTC)
    )


def _narrow(text: str) -> str:
    """What a three-byte ``utf8`` column keeps: no character beyond the BMP."""
    return "".join(ch for ch in text if ord(ch) <= 0xFFFF)


def _loose_value(value: Any) -> Any:
    """A custom field through a loose JSON codec: bools as 0/1, whole floats as ints."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _update_commits_on_its_own(uow: BrokenUnitOfWork, inner: Any) -> Callable[..., None]:
    def update(lead: Lead, *, expected_version: int) -> None:
        with uow.own() as own:
            own.leads.update(lead, expected_version=expected_version)
            own.commit()

    return update


def _version_checked_when_written(uow: BrokenUnitOfWork, inner: Any) -> Any:
    """Compare the version when the update is written; at commit, write whatever is there."""
    staged: dict[tuple[str, str], Lead] = {}

    def update(lead: Lead, *, expected_version: int) -> None:
        key = (lead.organization_id, lead.id)
        stored = staged.get(key) or inner.get(*key)
        if stored is None:
            raise NotFound("lead", lead.id)
        if stored.version != expected_version:
            raise ConflictError(f"lead {lead.id!r} is at version {stored.version}")
        staged[key] = lead

        def write() -> None:
            with uow.own() as own:
                current = own.leads.get(*key)
                assert current is not None
                own.leads.update(lead, expected_version=current.version)
                own.commit()

        uow.late.append(write)

    def get(organization_id: str, lead_id: str) -> Lead | None:
        found = staged.get((organization_id, lead_id))
        return (
            found if found is not None else cast(Lead | None, inner.get(organization_id, lead_id))
        )

    def patch(uow_: BrokenUnitOfWork, name: str, repository: Repository) -> None:
        del uow_, name
        repository.update = update  # type: ignore[attr-defined]
        repository.get = get  # type: ignore[attr-defined]

    return patch


def _claims_never_conflict(uow: BrokenUnitOfWork, inner: Any) -> Any:
    """Claims appended after the commit, by a separate unit of work: they never conflict."""
    staged: list[tuple[str, str, str, datetime]] = []

    def record_claim(organization_id: str, project_id: str, agent_id: str, at: datetime) -> None:
        claim = (organization_id, project_id, agent_id, at)
        staged.append(claim)

        def write() -> None:
            with uow.own() as own:
                own.dispatch.record_claim(*claim)
                own.commit()

        uow.late.append(write)

    def claim_times(
        organization_id: str, project_id: str, agent_id: str, since: datetime
    ) -> list[datetime]:
        with uow.own() as own:
            committed = list(own.dispatch.claim_times(organization_id, project_id, agent_id, since))
        mine = [
            at
            for org, project, agent, at in staged
            if (org, project, agent) == (organization_id, project_id, agent_id) and at > since
        ]
        return sorted(committed + mine)

    return record_claim, claim_times


def _events_before_data(uow: BrokenUnitOfWork, inner: Any) -> Callable[[Any], None]:
    """Events committed by their own unit of work when the data starts to commit."""

    def record(event: Any) -> None:
        def write() -> None:
            with uow.own() as own:
                own.events.record(event)
                own.commit()

        uow.early.append(write)

    return record


def _folded_with_lower(inner: Any, count: bool) -> Any:
    """Search re-done in Python with ``lower()`` where ``casefold()`` is due."""

    def matches(lead: Lead, text: str) -> bool:
        return text.strip().lower() in lead.name.lower()

    def query(organization_id: str, query: LeadQuery) -> Any:
        if query.text is None:
            return inner.query(organization_id, query)
        wide = attrs.evolve(query, text=None, after=None, limit=None)
        rows = [x for x in inner.query(organization_id, wide) if matches(x, query.text)]
        if query.after is not None:
            rows = [x for x in rows if query.after.before(x)]
        return rows if query.limit is None else rows[: query.limit]

    def count_by_status(organization_id: str, query: LeadQuery) -> dict[str | None, int]:
        if query.text is None:
            return dict(inner.count_by_status(organization_id, query))
        counts: dict[str | None, int] = {}
        for lead in query_all(organization_id, attrs.evolve(query, text=None)):
            if matches(lead, query.text):
                counts[lead.status_id] = counts.get(lead.status_id, 0) + 1
        return counts

    def query_all(organization_id: str, q: LeadQuery) -> list[Lead]:
        return list(inner.query(organization_id, q))

    return count_by_status if count else query


def _ties_by_folded_id(uow: BrokenUnitOfWork, inner: Any) -> Any:
    """Leads of one instant ordered by id under a case-insensitive collation."""

    def order(lead: Lead) -> tuple[datetime, str]:
        return (lead.created_at, lead.id.casefold())

    def query(organization_id: str, query: LeadQuery) -> list[Lead]:
        rows = sorted(
            inner.query(organization_id, attrs.evolve(query, after=None, limit=None)),
            key=order,
            reverse=True,
        )
        cursor: Cursor | None = query.after
        if cursor is not None:
            mark = (cursor.created_at, cursor.lead_id.casefold())
            rows = [x for x in rows if order(x) < mark]
        return rows if query.limit is None else rows[: query.limit]

    return query


def _sorted_folded(method: str, name_of: Callable[[Any], str]) -> Any:
    def make(uow: BrokenUnitOfWork, inner: Any) -> Any:
        def listed(*args: Any) -> list[Any]:
            rows = list(getattr(inner, method)(*args))
            return sorted(rows, key=lambda r: (name_of(r).casefold(), r.id))

        return listed

    return make


def _accent_blind(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _lease_without_compare(uow: BrokenUnitOfWork, inner: Any) -> Any:
    def put_lease(organization_id: str, lease: Any, *, expected_token: int | None) -> None:
        del expected_token
        stored = inner.lease(organization_id, lease.lead_id)
        inner.put_lease(
            organization_id, lease, expected_token=None if stored is None else stored.token
        )

    return put_lease


def _commits_on_error(uow: BrokenUnitOfWork) -> None:
    uow.commits_on_error = True


def _version_patch(uow: BrokenUnitOfWork, name: str, repository: Repository) -> None:
    if name == "leads":
        _version_checked_when_written(uow, repository.inner)(uow, name, repository)


def _claims_patch(uow: BrokenUnitOfWork, name: str, repository: Repository) -> None:
    if name == "dispatch":
        record_claim, claim_times = _claims_never_conflict(uow, repository.inner)
        repository.record_claim = record_claim  # type: ignore[attr-defined]
        repository.claim_times = claim_times  # type: ignore[attr-defined]


def _bug(name: str, what: str, caught_by: str, patch: Patch) -> tuple[str, Bug]:
    return name, Bug(name, what, caught_by, patch)


_ATOMICITY = "test_a_lead_update_is_not_written_when_its_history_entry_fails"
_TAKEN_ACCOUNT = "test_a_taken_account_contact_or_opportunity_id_conflicts"
_OFFSETS = "test_aware_datetimes_come_back_as_the_same_instant_with_their_offset"
_TEXT = "test_long_text_hebrew_and_emoji_come_back_character_for_character"
_FIELDS = "test_an_update_writes_changed_custom_fields_with_their_types"
_NAMES = "test_every_name_list_is_in_code_point_order_then_by_id"
_CASEFOLD = "test_search_folds_case_with_casefold_not_lower"

#: Every injectable bug, by name.
BUGS: Final[dict[str, Bug]] = dict(
    [
        # -- atomicity across repositories and races --
        _bug(
            "lead-update-commits-on-its-own",
            "leads.update writes through a connection of its own and commits at once",
            _ATOMICITY,
            _on("leads", "update", _update_commits_on_its_own),
        ),
        _bug(
            "version-checked-when-written",
            "a lead's version is compared when the update is written, not at commit",
            "test_a_lead_version_is_compared_at_commit_not_only_when_written",
            _version_patch,
        ),
        _bug(
            "claims-never-conflict",
            "claims are appended without a per-agent head row: two concurrent ones both commit",
            "test_two_concurrent_claims_of_one_agent_do_not_both_commit",
            _claims_patch,
        ),
        _bug(
            "events-before-data",
            "outbox rows are committed before the data, so a lost race leaves its event",
            "test_a_unit_of_work_that_loses_its_race_leaves_no_event",
            _on("events", "record", _events_before_data),
        ),
        _bug(
            "commits-on-error",
            "leaving a unit of work through an exception commits it",
            "test_an_exception_rolls_everything_back_and_propagates",
            _on_enter(_commits_on_error),
        ),
        _bug(
            "lease-without-compare-and-set",
            "put_lease overwrites the stored lease whatever its token",
            "test_a_lease_is_stored_by_compare_and_set_on_its_token",
            _on("dispatch", "put_lease", _lease_without_compare),
        ),
        # -- values that must survive storage unchanged --
        _bug(
            "aware-times-stored-as-utc",
            "an aware datetime in +02:00 is stored as if its reading were UTC",
            _OFFSETS,
            _on("leads", "add", _map_lead(_times_as_utc)),
        ),
        _bug(
            "times-come-back-in-utc",
            "aware datetimes come back converted to UTC (the same instant, another offset)",
            _OFFSETS,
            _on("leads", "add", _map_lead(_times_in_utc)),
        ),
        _bug(
            "microseconds-dropped",
            "history times lose their microseconds (DATETIME without fractional seconds)",
            _OFFSETS,
            _on(
                "history",
                "add",
                _map_add(lambda e: attrs.evolve(e, at=e.at.replace(microsecond=0))),
            ),
        ),
        _bug(
            "lead-name-cut-at-255",
            "lead names are cut at 255 characters (VARCHAR(255))",
            _TEXT,
            _on("leads", "add", _map_lead(lambda x: attrs.evolve(x, name=x.name[:255]))),
        ),
        _bug(
            "note-text-cut-at-255",
            "note texts are cut at 255 characters",
            _TEXT,
            _on("notes", "add", _map_add(lambda n: attrs.evolve(n, text=n.text[:255]))),
        ),
        _bug(
            "four-byte-characters-dropped",
            "characters beyond the BMP (emoji) are dropped from lead names (MySQL utf8mb3)",
            _TEXT,
            _on("leads", "add", _map_lead(lambda x: attrs.evolve(x, name=_narrow(x.name)))),
        ),
        _bug(
            "trailing-blanks-stripped",
            "account names lose trailing blanks (CHAR columns, PAD SPACE)",
            _TEXT,
            _on("accounts", "add", _map_add(lambda a: attrs.evolve(a, name=a.name.rstrip()))),
        ),
        _bug(
            "account-names-not-keyed",
            "accounts.matching finds accounts by phone and e-mail only, never by name key",
            "test_accounts_and_contacts_are_found_by_a_shared_phone_email_or_name",
            _on("accounts", "matching", _unkeyed_names),
        ),
        _bug(
            "notes-normalised-to-nfc",
            "note texts are normalised to NFC on the way in",
            _TEXT,
            _on(
                "notes",
                "add",
                _map_add(lambda n: attrs.evolve(n, text=unicodedata.normalize("NFC", n.text))),
            ),
        ),
        _bug(
            "update-skips-custom-fields",
            "a lead update does not write changed custom fields",
            _FIELDS,
            _on(
                "leads",
                "update",
                _map_update(lambda old, new: attrs.evolve(new, fields=old.fields)),
            ),
        ),
        _bug(
            "custom-field-types-lost",
            "custom fields go through a loose codec: True becomes 1, 3.0 becomes 3",
            _FIELDS,
            _on(
                "leads",
                "update",
                _map_update(
                    lambda old, new: attrs.evolve(
                        new, fields={k: _loose_value(v) for k, v in new.fields.items()}
                    )
                ),
            ),
        ),
        _bug(
            "update-skips-assignees",
            "a lead update does not write changed assignees",
            _FIELDS,
            _on(
                "leads",
                "update",
                _map_update(lambda old, new: attrs.evolve(new, assignee_ids=old.assignee_ids)),
            ),
        ),
        # -- text folding and order --
        _bug(
            "search-folds-with-lower",
            "lead search folds case with lower() instead of casefold()",
            _CASEFOLD,
            _on("leads", "query", lambda uow, inner: _folded_with_lower(inner, count=False)),
        ),
        _bug(
            "counts-fold-with-lower",
            "status counts fold case with lower() instead of casefold()",
            _CASEFOLD,
            _on("leads", "count_by_status", lambda uow, inner: _folded_with_lower(inner, True)),
        ),
        _bug(
            "projects-case-insensitive",
            "projects are listed under a case-insensitive collation",
            _NAMES,
            _on("projects", "list", _sorted_folded("list", lambda p: p.name)),
        ),
        _bug(
            "accounts-case-insensitive",
            "accounts are listed under a case-insensitive collation",
            _NAMES,
            _on("accounts", "list", _sorted_folded("list", lambda a: a.name)),
        ),
        _bug(
            "contacts-case-insensitive",
            "contacts of an account are listed under a case-insensitive collation",
            _NAMES,
            _on("contacts", "for_account", _sorted_folded("for_account", lambda c: c.name)),
        ),
        _bug(
            "users-accent-insensitive",
            "users are listed under an accent- and case-insensitive collation",
            _NAMES,
            _on("users", "list", _sorted_folded("list", lambda u: _accent_blind(u.name))),
        ),
        _bug(
            "lead-ties-by-folded-id",
            "leads of one instant are ordered by id under a case-insensitive collation",
            "test_leads_of_one_instant_page_by_id_in_code_point_order",
            _on("leads", "query", _ties_by_folded_id),
        ),
        # -- identity --
        _bug(
            "notes-ignore-taken-id",
            "notes.add skips a taken id (ON CONFLICT DO NOTHING)",
            "test_a_taken_note_id_conflicts",
            _on("notes", "add", _ignore_taken),
        ),
        _bug(
            "history-ignores-taken-id",
            "history.add skips a taken id",
            "test_a_taken_history_entry_id_conflicts",
            _on("history", "add", _ignore_taken),
        ),
        _bug(
            "tasks-ignore-taken-id",
            "tasks.add skips a taken id",
            "test_a_taken_task_id_conflicts",
            _on("tasks", "add", _ignore_taken),
        ),
        _bug(
            "projects-ignore-taken-id",
            "projects.add skips a taken id",
            "test_a_taken_project_id_conflicts",
            _on("projects", "add", _ignore_taken),
        ),
        _bug(
            "accounts-ignore-taken-id",
            "accounts.add skips a taken id",
            _TAKEN_ACCOUNT,
            _on("accounts", "add", _ignore_taken),
        ),
        _bug(
            "opportunities-ignore-taken-id",
            "opportunities.add skips a taken id",
            _TAKEN_ACCOUNT,
            _on("opportunities", "add", _ignore_taken),
        ),
        _bug(
            "conversions-ignore-taken-id",
            "conversions.add skips a taken id",
            "test_a_taken_conversion_id_conflicts",
            _on("conversions", "add", _ignore_taken),
        ),
        _bug(
            "activities-ignore-taken-id",
            "calendar.add skips a taken activity id",
            "test_a_taken_activity_id_conflicts",
            _on("calendar", "add", _ignore_taken),
        ),
    ]
)
