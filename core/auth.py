"""Who is acting, and what each role may do: the one place permissions are decided.

Pages hide what a role cannot use, but the rule lives here and every service that
mutates calls `require`, so a forged request (or a test calling the service directly)
is refused the same way (E.AUTH.FORBIDDEN).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import AppError, Code


class Role(StrEnum):
    author = "author"
    reviewer = "reviewer"
    prompt_engineer = "prompt_engineer"
    analyst = "analyst"
    admin = "admin"


class Can(StrEnum):
    """Capabilities a service asks for."""

    edit = "edit"  # courses, outlines, lessons, slides, imports
    generate = "generate"  # generation and export jobs of courses
    run_prompts = "run_prompts"  # playground runs (drafts, never saved)
    prompts = "prompts"  # save prompt versions, move labels, run evaluations
    jobs = "jobs"  # cancel or retry a job
    read_costs = "read_costs"
    export_costs = "export_costs"
    manage_users = "manage_users"
    manage_prices = "manage_prices"  # issue 15: model prices with dates (admins only)


_WRITERS = frozenset({Can.edit, Can.generate, Can.run_prompts, Can.jobs})
GRANTS: dict[Role, frozenset[Can]] = {
    Role.author: _WRITERS,
    Role.reviewer: _WRITERS,
    Role.prompt_engineer: frozenset({Can.run_prompts, Can.prompts, Can.jobs, Can.read_costs}),
    Role.analyst: frozenset({Can.read_costs, Can.export_costs}),
    Role.admin: frozenset(Can),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user (or the local user, or the CLI) a service acts for."""

    email: str
    role: Role
    name: str = ""

    @property
    def label(self) -> str:
        # What revisions, label moves and jobs record: the address, never a typed name.
        return self.email[:120]

    def can(self, what: Can) -> bool:
        return what in GRANTS[self.role]


# The single-user local mode (no [auth] configured) and the CLI act as an admin: whoever
# reaches them already has the machine.
LOCAL_EMAIL = "local"


def local_actor(email: str | None = None) -> Actor:
    return Actor(email=(email or LOCAL_EMAIL).strip()[:120] or LOCAL_EMAIL, role=Role.admin, name="local")


def require(actor: Actor, what: Can) -> None:
    """Refuse (E.AUTH.FORBIDDEN) unless the actor's role grants `what`."""
    if not isinstance(actor, Actor):
        raise AppError(Code.AUTH_FORBIDDEN, "no signed-in user: this action needs one")
    if not actor.can(what):
        raise AppError(
            Code.AUTH_FORBIDDEN,
            f"{actor.email} ({actor.role.value}) may not {_WHAT[what]}",
            details={"role": actor.role.value, "needs": what.value},
        )


_WHAT = {
    Can.edit: "edit courses",
    Can.generate: "start generations or exports",
    Can.run_prompts: "run prompts in the playground",
    Can.prompts: "save prompt versions, move labels or run evaluations",
    Can.jobs: "cancel or retry jobs",
    Can.read_costs: "read costs",
    Can.export_costs: "export cost tables",
    Can.manage_users: "manage users",
    Can.manage_prices: "change model prices",
}


# issue 9: which pages a role sees (None: every role). Pages also call `require` through
# the services they use; hiding is only the first line.
PAGE_NEEDS: dict[str, Can | None] = {
    "courses": Can.edit,
    "parameters": Can.edit,
    "structure": Can.edit,
    "lessons": Can.edit,
    "slides": Can.edit,
    "video": Can.edit,
    "export": Can.edit,
    "jobs": None,
    "costs": Can.read_costs,
    "playground": Can.run_prompts,
    "evaluations": Can.prompts,
    "users": Can.manage_users,
    "sources": Can.edit,  # issue-17
}


def page_allowed(actor: Actor, page: str) -> bool:
    need = PAGE_NEEDS.get(page, Can.manage_users)  # an unlisted page is for admins only
    return need is None or actor.can(need)
