"""Setting up lead work: projects (campaigns), intake settings, the do-not-call list."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import (
    NotFound,
    ValidationError,
)
from leadcore.leads._intake import LeadSettings, normalize_phone
from leadcore.leads._project import Project
from leadcore.services._shared import (
    Writer,
    lead_settings,
)
from leadcore.services.leads._part import LeadsPart
from leadcore.tenancy import Permission


@checks_text
@checked_arguments
class LeadSetup(LeadsPart):
    """The projects, intake settings and do-not-call list of ``s.leads``."""

    def create_project(
        self,
        name: str,
        *,
        rules: ProjectRules | None = None,
        member_ids: Iterable[str] = (),
    ) -> Project:
        """Create a project (campaign) with its rules and members (needs ``manage_dispatch``)."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("cannot create the project", ["name: must not be blank"])
        members = list(member_ids)
        with self._writer(Permission.MANAGE_DISPATCH, "manage projects") as w:
            for uid in members:
                if w.uow.users.get(w.org, uid) is None:
                    raise NotFound("user", uid)
            project = Project(
                id=self._ctx.ids.new("project"),
                organization_id=w.org,
                name=name.strip(),
                created_at=w.now,
                rules=rules or ProjectRules(),
                member_ids=frozenset(members),
            )
            w.uow.projects.add(project)
            w.emit(ev.ProjectChanged, project_id=project.id, name=project.name, created=True)
            w.uow.commit()
            return project

    def update_project(
        self,
        project_id: str,
        *,
        name: str | None = None,
        rules: ProjectRules | None = None,
        member_ids: Iterable[str] | None = None,
        active: bool | None = None,
    ) -> Project:
        """Change a project's name, rules, members or active flag (needs ``manage_dispatch``)."""
        with self._writer(Permission.MANAGE_DISPATCH, "manage projects") as w:
            project = w.uow.projects.get(w.org, project_id)
            if project is None:
                raise NotFound("project", project_id)
            changes: dict[str, object] = {}
            if name is not None:
                if not name.strip():
                    raise ValidationError("cannot change the project", ["name: must not be blank"])
                changes["name"] = name.strip()
            if rules is not None:
                changes["rules"] = rules
            if member_ids is not None:
                members = frozenset(member_ids)
                for uid in members:
                    if w.uow.users.get(w.org, uid) is None:
                        raise NotFound("user", uid)
                changes["member_ids"] = members
            if active is not None:
                changes["active"] = active
            project = attrs.evolve(project, **changes)  # type: ignore[arg-type]
            w.uow.projects.update(project)
            w.emit(ev.ProjectChanged, project_id=project.id, name=project.name, created=False)
            w.uow.commit()
            return project

    def projects(self) -> builtins.list[Project]:
        """The organisation's projects, by name."""
        with self._writer(None, "") as w:
            return list(w.uow.projects.list(w.org))

    def project(self, project_id: str) -> Project:
        """One project."""
        with self._writer(None, "") as w:
            project = w.uow.projects.get(w.org, project_id)
        if project is None:
            raise NotFound("project", project_id)
        return project

    # -- settings and the do-not-call list ---------------------------------------------

    def settings(self) -> LeadSettings:
        """The organisation's intake settings."""
        with self._writer(None, "") as w:
            return lead_settings(w.uow, w.org)

    def set_settings(self, settings: LeadSettings) -> LeadSettings:
        """Replace the intake settings (needs ``manage_workflow``)."""
        problems = settings.problems()
        if problems:
            raise ValidationError("invalid lead settings", problems)
        with self._writer(Permission.MANAGE_WORKFLOW, "change lead settings") as w:
            old = lead_settings(w.uow, w.org)
            w.uow.lead_settings.put(w.org, settings)
            changed = [
                f.name
                for f in attrs.fields(LeadSettings)
                if getattr(old, f.name) != getattr(settings, f.name)
            ]
            if changed:
                w.emit(ev.LeadSettingsChanged, fields=changed)
            w.uow.commit()
        return settings

    def add_blocked_number(self, number: str) -> str:
        """Put a phone number on the do-not-call list (needs ``manage_workflow``)."""
        with self._writer(Permission.MANAGE_WORKFLOW, "manage the do-not-call list") as w:
            normal = self._normal_phone(w, number)
            if not w.uow.do_not_call.contains(w.org, normal):
                w.emit(ev.DoNotCallChanged, number=normal, blocked=True)
            w.uow.do_not_call.add(w.org, normal)
            w.uow.commit()
            return normal

    def remove_blocked_number(self, number: str) -> None:
        """Take a phone number off the do-not-call list (needs ``manage_workflow``)."""
        with self._writer(Permission.MANAGE_WORKFLOW, "manage the do-not-call list") as w:
            normal = self._normal_phone(w, number)
            if w.uow.do_not_call.contains(w.org, normal):
                w.emit(ev.DoNotCallChanged, number=normal, blocked=False)
            w.uow.do_not_call.remove(w.org, normal)
            w.uow.commit()

    def blocked_numbers(self) -> builtins.list[str]:
        """The do-not-call list."""
        with self._writer(None, "") as w:
            return list(w.uow.do_not_call.list(w.org))

    @staticmethod
    def _normal_phone(w: Writer, number: str) -> str:
        org = w.uow.organizations.get(w.org)
        try:
            return normalize_phone(number, org.default_region if org else None)
        except ValueError as exc:
            raise ValidationError("invalid phone number", [f"number: {exc}"]) from None
