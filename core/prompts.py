"""Prompt registry over prompts/: versioned files with checksums, chosen by label."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from jinja2 import meta
from packaging.version import InvalidVersion, Version
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import select

from core.db import db_retry, is_missing_table, session_scope
from core.errors import AppError, Code
from core.models import PromptLabel, PromptVersion
from core.schemas import SCHEMAS
from core.settings import ROOT
from core.templating import check_template, render_template

log = logging.getLogger(__name__)

PROMPTS_DIR = ROOT / "prompts"
LABELS_FILE = "labels.yaml"
LABELS = ("production", "staging")
# Semantic versions; "+build" metadata marks unsaved playground edits ("1.0.0+edit").
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
# Templates are authored by people (files, playground): parsed and rendered only in the
# sandbox of core/templating.py, never in a plain jinja2.Environment.

_REQUIRED = ("id", "version", "owner", "changelog", "schema", "system", "template")


@dataclass(frozen=True)
class PromptSpec:
    prompt_id: str
    version: str
    owner: str
    changelog: str
    schema_name: str
    system: str
    template: str
    variables: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def canonical(self) -> dict[str, Any]:
        """The content the checksum covers: everything that changes what the model sees."""
        return {
            "id": self.prompt_id,
            "version": self.version,
            "schema": self.schema_name,
            "model": dict(sorted(self.defaults.items())),
            "variables": sorted(self.variables),
            "system": self.system,
            "template": self.template,
        }

    @cached_property
    def checksum(self) -> str:
        # Every model call records it; the spec is immutable, so hash it once.
        blob = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()

    @property
    def schema(self) -> type:
        return SCHEMAS[self.schema_name]

    def render(self, variables: dict[str, Any]) -> list[dict[str, str]]:
        missing = [v for v in self.variables if v not in variables]
        if missing:
            raise AppError(
                Code.PROMPT_INVALID,
                f"prompt {self.prompt_id}@{self.version} needs variables: {', '.join(missing)}",
            )
        where = f"prompt {self.prompt_id}@{self.version}"
        return [
            {"role": "system", "content": render_template(self.system, variables, f"{where} system")},
            {"role": "user", "content": render_template(self.template, variables, f"{where} template")},
        ]


def _undeclared(text: str, where: str) -> set[str]:
    # check_template refuses unsafe constructs before anything about the template is used.
    return meta.find_undeclared_variables(check_template(text, where))


def parse_prompt(data: dict[str, Any], path: Path | None = None) -> PromptSpec:
    """Build a PromptSpec from a file's mapping, refusing anything inconsistent."""
    where = str(path) if path else "prompt"
    missing = [k for k in _REQUIRED if not str(data.get(k, "")).strip()]
    if missing:
        raise AppError(Code.PROMPT_INVALID, f"{where}: missing fields: {', '.join(missing)}")
    if data["schema"] not in SCHEMAS:
        raise AppError(
            Code.PROMPT_INVALID,
            f"{where}: unknown schema {data['schema']!r}; known: {', '.join(SCHEMAS)}",
        )
    if not is_version(str(data["version"])):
        raise AppError(
            Code.PROMPT_INVALID,
            f"{where}: version {data['version']!r} is not a semantic version like 1.2.0",
        )
    declared = tuple(str(v) for v in data.get("variables") or ())
    try:
        used = _undeclared(str(data["system"]), f"{where} system") | _undeclared(
            str(data["template"]), f"{where} template"
        )
    except AppError:
        raise
    except Exception as exc:  # jinja2 TemplateSyntaxError and friends
        raise AppError(Code.PROMPT_INVALID, f"{where}: template does not parse: {exc}") from exc
    undeclared = sorted(used - set(declared))
    if undeclared:
        raise AppError(
            Code.PROMPT_INVALID,
            f"{where}: template uses undeclared variables: {', '.join(undeclared)}",
        )
    spec = PromptSpec(
        prompt_id=str(data["id"]),
        version=str(data["version"]),
        owner=str(data["owner"]),
        changelog=str(data["changelog"]),
        schema_name=str(data["schema"]),
        system=str(data["system"]),
        template=str(data["template"]),
        variables=declared,
        defaults=dict(data.get("model") or {}),
        path=path,
    )
    recorded = data.get("checksum")
    if recorded and recorded != spec.checksum:
        raise AppError(
            Code.PROMPT_INVALID,
            f"{where}: content no longer matches its recorded checksum "
            f"(recorded {recorded}, computed {spec.checksum})",
        )
    return spec


def version_key(version: str) -> tuple[Version, str]:
    """Sort key for prompt versions, by packaging's PEP 440 ordering: 1.10.0 after 1.9.0,
    rc.10 after rc.2, pre-releases before their release, "+edit" after its version.

    A version packaging cannot read (`is_version` keeps new ones out; only an old row can
    hold one) sorts first, by its text, instead of failing the listing.
    """
    try:
        return (Version(version), version)
    except InvalidVersion:
        return (Version("0"), version)


def is_version(version: str) -> bool:
    """A semantic version (1.2.0, 1.2.0-rc.1, 1.2.0+edit) that version_key can also order."""
    if not VERSION_RE.match(version):
        return False
    try:
        Version(version)
    except InvalidVersion:
        return False  # semver allows "1.0.0-alpha.beta"; an order we cannot compute is refused
    return True


def load_prompt_file(path: Path) -> PromptSpec:
    """Parse one prompt file; every way it can be wrong is an AppError naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AppError(Code.PROMPT_INVALID, f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise AppError(Code.PROMPT_INVALID, f"{path}: expected a mapping of prompt fields")
    spec = parse_prompt(data, path)
    # The folder names the prompt: a file copied into the wrong folder would silently
    # add a version to another step.
    if path.parent.name != spec.prompt_id:
        raise AppError(
            Code.PROMPT_INVALID,
            f"{path}: prompt id {spec.prompt_id!r} does not match its folder {path.parent.name!r}",
        )
    return spec


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks so prompt files stay readable in review."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_presenter)


def prompt_to_yaml(spec: PromptSpec) -> str:
    """The file text of a version, with its checksum recorded so later edits are caught."""
    data: dict[str, Any] = {
        "id": spec.prompt_id,
        "version": spec.version,
        "owner": spec.owner,
        "changelog": spec.changelog,
        "schema": spec.schema_name,
        "model": dict(sorted(spec.defaults.items())),
        "variables": list(spec.variables),
        "checksum": spec.checksum,
        "system": spec.system,
        "template": spec.template,
    }
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)


def spec_from_canonical(body: dict[str, Any], *, owner: str, changelog: str) -> PromptSpec:
    """Rebuild a version from its mirrored canonical content (the prompt_versions.body)."""
    return parse_prompt(
        {
            "id": body.get("id"),
            "version": body.get("version"),
            "owner": owner,
            "changelog": changelog,
            "schema": body.get("schema"),
            "model": body.get("model") or {},
            "variables": body.get("variables") or [],
            "system": body.get("system"),
            "template": body.get("template"),
        }
    )


class PromptRegistry:
    """The prompt files under one root: every version validated, labels from labels.yaml."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else prompts_root()
        self.specs: dict[tuple[str, str], PromptSpec] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self._load()

    def _load(self) -> None:
        for path in sorted(self.root.glob("*/*.yaml")):
            spec = load_prompt_file(path)
            key = (spec.prompt_id, spec.version)
            if key in self.specs:
                raise AppError(
                    Code.PROMPT_INVALID,
                    f"{path}: duplicate version {spec.version} of prompt {spec.prompt_id} "
                    f"(also in {self.specs[key].path})",
                )
            self.specs[key] = spec
        labels_path = self.root / LABELS_FILE
        if labels_path.exists():
            try:
                raw = yaml.safe_load(labels_path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise AppError(Code.PROMPT_INVALID, f"{labels_path}: not valid YAML: {exc}") from exc
            if not isinstance(raw, dict):
                raise AppError(Code.PROMPT_INVALID, f"{labels_path}: expected prompt: {{label: version}}")
            self.labels = {
                str(pid): {str(label): str(version) for label, version in (by_label or {}).items()}
                for pid, by_label in raw.items()
            }
        for prompt_id, by_label in self.labels.items():
            for label, version in by_label.items():
                if (prompt_id, version) not in self.specs:
                    raise AppError(
                        Code.PROMPT_INVALID,
                        f"{labels_path}: label {label} of {prompt_id} names missing version {version}",
                    )

    def ids(self) -> list[str]:
        return sorted({pid for pid, _ in self.specs})

    def versions(self, prompt_id: str) -> list[PromptSpec]:
        return sorted(
            (s for (pid, _), s in self.specs.items() if pid == prompt_id),
            key=lambda s: version_key(s.version),
        )

    def has(self, prompt_id: str, version: str) -> bool:
        return (prompt_id, version) in self.specs

    def get(self, prompt_id: str, version: str | None = None, label: str = "production") -> PromptSpec:
        if version is None:
            version = str(self.labels.get(prompt_id, {}).get(label, ""))
            if not version:
                versions = self.versions(prompt_id)
                if not versions:
                    raise AppError(Code.PROMPT_INVALID, f"no prompt named {prompt_id!r}")
                return versions[-1]
        try:
            return self.specs[(prompt_id, version)]
        except KeyError:
            raise AppError(Code.PROMPT_INVALID, f"no version {version} of prompt {prompt_id!r}") from None


def prompts_root() -> Path:
    """Where prompt files live; PROMPTS_DIR lets tests and deployments point elsewhere."""
    return Path(os.environ.get("PROMPTS_DIR") or PROMPTS_DIR)


@lru_cache(maxsize=1)
def get_registry() -> PromptRegistry:
    return PromptRegistry()


def reset_registry() -> None:
    """Forget the loaded files (a version was saved, or tests changed PROMPTS_DIR)."""
    get_registry.cache_clear()


# ---------------------------------------------------------------- database-aware lookup
#
# Labels moved in the app live in prompt_labels and override labels.yaml. A version saved
# on one machine is mirrored (canonical content and checksum) in prompt_versions, so a
# worker elsewhere that lacks the file still runs exactly that version.

_MISSING_TABLES = (OperationalError, ProgrammingError)
T = TypeVar("T")


def _unless_unmigrated(fn: Callable[[], T], what: str) -> T | None:
    """Run a read with retries; None only when the tables do not exist (a bare script,
    a unit test), never because the database was briefly away, which would silently run
    the file's version instead of the one a label points at."""
    try:
        return db_retry(fn, what=what)
    except _MISSING_TABLES as exc:
        if not is_missing_table(exc):
            raise
        log.debug("%s: tables not there; the files decide", what, exc_info=True)
        return None


def db_label_version(prompt_id: str, label: str) -> str | None:
    """The version a label points at in the database, or None (never moved, or no tables)."""

    def read() -> str | None:
        with session_scope(readonly=True) as session:
            row = session.exec(
                select(PromptLabel).where(PromptLabel.prompt_id == prompt_id, PromptLabel.label == label)
            ).first()
            return row.version if row else None

    return _unless_unmigrated(read, f"label {label} of prompt {prompt_id}")


def db_spec(prompt_id: str, version: str) -> PromptSpec | None:
    """A version rebuilt from its database mirror, checked against its recorded checksum."""

    def read() -> PromptVersion | None:
        with session_scope(readonly=True) as session:
            return session.exec(
                select(PromptVersion).where(
                    PromptVersion.prompt_id == prompt_id, PromptVersion.version == version
                )
            ).first()

    row = _unless_unmigrated(read, f"version {version} of prompt {prompt_id}")
    if row is None:
        return None
    spec = spec_from_canonical(row.body, owner=row.owner, changelog=row.changelog)
    if spec.checksum != row.checksum:
        raise AppError(
            Code.PROMPT_INVALID,
            f"prompt_versions row {prompt_id}@{version} no longer matches its checksum "
            f"(recorded {row.checksum}, computed {spec.checksum})",
        )
    return spec


def get_spec(prompt_id: str, version: str, registry: PromptRegistry | None = None) -> PromptSpec:
    """A version by number: from the files, else from the database mirror."""
    registry = registry or get_registry()
    if registry.has(prompt_id, version):
        return registry.get(prompt_id, version)
    spec = db_spec(prompt_id, version)
    if spec is None:
        raise AppError(Code.PROMPT_INVALID, f"no version {version} of prompt {prompt_id!r}")
    return spec


def label_version(prompt_id: str, label: str, registry: PromptRegistry | None = None) -> str | None:
    """Where a label points now: a move recorded in the database wins over labels.yaml."""
    registry = registry or get_registry()
    return db_label_version(prompt_id, label) or registry.labels.get(prompt_id, {}).get(label)


def active_prompt(
    prompt_id: str, label: str = "production", registry: PromptRegistry | None = None
) -> PromptSpec:
    """The version a generation step uses now: the one its label points at."""
    registry = registry or get_registry()
    version = label_version(prompt_id, label, registry)
    if version is None:
        return registry.get(prompt_id, label=label)
    return get_spec(prompt_id, version, registry)
