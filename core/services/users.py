"""Users and roles: who may sign in, with which role, and admins managing them.

Sign-in itself is Streamlit's (OIDC); this module decides what an identity it hands us
may do. Allowed are: users already in the table (and active), bootstrap admins, entries
of the roles file, and addresses matching the allowlist (with the default role).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.auth import Actor, Can, Role, require
from core.errors import AppError, Code, NotFound
from core.models import User
from core.settings import Settings, get_settings


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _entries(text: str) -> list[str]:
    return [e.strip().lower() for e in (text or "").replace(";", ",").split(",") if e.strip()]


def is_allowlisted(email: str, settings: Settings | None = None) -> bool:
    """An address is allowed by name or by its domain ("example.com" or "@example.com")."""
    settings = settings or get_settings()
    email = normalize_email(email)
    if "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1]
    return any(entry == email or entry.lstrip("@") == domain for entry in _entries(settings.AUTH_ALLOWLIST))


def roles_file(path: Path | None) -> dict[str, Role]:
    """{email: role} from the optional roles file; an unknown role is a clear error."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AppError(Code.VALIDATION, f"AUTH_ROLES_FILE {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise AppError(Code.VALIDATION, f"AUTH_ROLES_FILE {path} must map e-mail addresses to roles")
    out: dict[str, Role] = {}
    for email, role in data.items():
        try:
            out[normalize_email(str(email))] = Role(str(role))
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise AppError(
                Code.VALIDATION, f"AUTH_ROLES_FILE: {email}: unknown role {role!r} ({roles})"
            ) from None
    return out


def _initial_role(email: str, settings: Settings) -> Role | None:
    if email in _entries(settings.AUTH_BOOTSTRAP_ADMINS):
        return Role.admin
    seeded = roles_file(settings.AUTH_ROLES_FILE).get(email)
    if seeded is not None:
        return seeded
    if is_allowlisted(email, settings):
        return Role(settings.AUTH_DEFAULT_ROLE)
    return None


def get_user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def sign_in(session: Session, *, email: str, name: str = "") -> Actor:
    """The actor for an identity the OIDC provider vouched for, or E.AUTH.NOT_ALLOWED.

    The first sign-in of an allowed address creates its row; the database decides after.
    """
    settings = get_settings()
    email = normalize_email(email)
    if "@" not in email:
        raise AppError(Code.AUTH_NOT_ALLOWED, "the identity provider sent no e-mail address")
    user = get_user(session, email)
    if user is None:
        role = _initial_role(email, settings)
        if role is None:
            raise AppError(Code.AUTH_NOT_ALLOWED, f"{email} is not on the allowlist; ask an admin")
        user = User(email=email, name=(name or "")[:200], role=role.value)
        session.add(user)
        session.flush()
    elif not user.active:
        raise AppError(Code.AUTH_NOT_ALLOWED, f"{email} is deactivated; ask an admin")
    elif name and user.name != name[:200]:
        user.name = name[:200]
        session.add(user)
    return Actor(email=user.email, role=Role(user.role), name=user.name)


# ---------------------------------------------------------------- admin


def list_users(session: Session, *, actor: Actor) -> list[User]:
    require(actor, Can.manage_users)
    return list(session.exec(select(User).order_by(col(User.email))))


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise AppError(Code.VALIDATION, f"unknown role {value!r}; roles are {roles}") from None


def add_user(session: Session, *, actor: Actor, email: str, role: str, name: str = "") -> User:
    require(actor, Can.manage_users)
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or " " in email:
        raise AppError(Code.VALIDATION, f"{email!r} is not an e-mail address")
    if get_user(session, email) is not None:
        raise AppError(Code.VALIDATION, f"{email} already exists")
    user = User(email=email, name=name.strip()[:200], role=_role(role).value)
    session.add(user)
    session.flush()
    return user


def _active_admins(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin.value, col(User.active).is_(True))
    )
    return int(session.exec(query).one())


def update_user(
    session: Session, *, actor: Actor, email: str, role: str | None = None, active: bool | None = None
) -> User:
    """Change a user's role or active flag; the last active admin cannot be removed."""
    require(actor, Can.manage_users)
    user = get_user(session, email)
    if user is None:
        raise NotFound("user", email)
    new_role = _role(role).value if role is not None else user.role
    new_active = user.active if active is None else active
    stays_admin = new_role == Role.admin.value and new_active
    # Checked before anything changes, so a refusal leaves the row as it was.
    if user.role == Role.admin.value and user.active and not stays_admin and _active_admins(session) <= 1:
        raise AppError(Code.VALIDATION, "this would leave no active admin; make someone else admin first")
    user.role, user.active = new_role, new_active
    session.add(user)
    session.flush()
    return user


def set_caps(
    session: Session, *, actor: Actor, email: str, daily_cap_usd: float | None, monthly_cap_usd: float | None
) -> User:
    """A user's own daily/monthly caps (None: the settings' caps apply)."""
    require(actor, Can.manage_users)
    user = get_user(session, email)
    if user is None:
        raise NotFound("user", email)
    for label, value in (("daily cap", daily_cap_usd), ("monthly cap", monthly_cap_usd)):
        if value is not None and not value > 0:
            raise AppError(Code.VALIDATION, f"{label} must be a positive number of US dollars, or empty")
    user.daily_cap_usd, user.monthly_cap_usd = daily_cap_usd, monthly_cap_usd
    session.add(user)
    session.flush()
    return user
