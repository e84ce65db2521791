"""The prompt registry and workbench: every way a prompt file can be wrong is a clear
error, versions are immutable, and label moves are recorded and reversible."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from core.auth import Role
from core.db import session_scope
from core.errors import AppError
from core.models import PromptLabel, PromptLabelEvent, PromptVersion
from core.prompts import (
    PROMPTS_DIR,
    PromptRegistry,
    active_prompt,
    get_spec,
    is_version,
    parse_prompt,
    prompt_to_yaml,
    version_key,
)
from core.services import prompt_lab as lab
from tests.actors import ADMIN, person
from tests.factories import first_prompt_versions


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A private copy of the real prompts folder: tests never write into prompts/."""
    return first_prompt_versions(tmp_path / "prompts")


def outline_data(root: Path) -> dict:
    return yaml.safe_load((root / "outline" / "1.0.0.yaml").read_text(encoding="utf-8"))


def write(root: Path, name: str, data: dict, folder: str = "outline") -> Path:
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def error_of(root: Path) -> str:
    with pytest.raises(AppError) as caught:
        PromptRegistry(root=root)
    assert caught.value.code == "E.PROMPT.INVALID"
    return caught.value.message


# ------------------------------------------------------------------ loading


def test_real_prompts_load_and_round_trip_through_their_file_text() -> None:
    registry = PromptRegistry(root=PROMPTS_DIR)
    assert {"outline", "lesson", "slides", "module"} <= set(registry.ids())
    for spec in registry.specs.values():
        again = parse_prompt(yaml.safe_load(prompt_to_yaml(spec)))
        assert again.checksum == spec.checksum


@pytest.mark.parametrize("field", ["owner", "changelog", "template", "schema", "version"])
def test_a_missing_required_field_is_named(root: Path, field: str) -> None:
    data = outline_data(root)
    data.pop(field)
    write(root, "1.0.0.yaml", data)
    assert f"missing fields: {field}" in error_of(root)


def test_a_template_variable_that_is_not_declared_is_an_error(root: Path) -> None:
    data = outline_data(root)
    data["template"] += "\nAlso mention {{ company_name }}.\n"
    write(root, "1.0.0.yaml", data)
    message = error_of(root)
    assert "undeclared variables: company_name" in message
    assert "outline/1.0.0.yaml" in message


def test_rendering_without_a_declared_variable_names_it(root: Path) -> None:
    spec = PromptRegistry(root=root).get("outline", "1.0.0")
    with pytest.raises(AppError, match=r"needs variables: .*module_count"):
        spec.render({"topic": "x"})


def test_a_template_that_does_not_parse_is_an_error(root: Path) -> None:
    data = outline_data(root)
    data["template"] = "{% if topic %}never closed"
    write(root, "1.0.0.yaml", data)
    assert "does not parse" in error_of(root)


def test_an_unknown_output_schema_is_an_error(root: Path) -> None:
    data = outline_data(root)
    data["schema"] = "Essay"
    write(root, "1.0.0.yaml", data)
    assert "unknown schema 'Essay'" in error_of(root)


def test_a_duplicate_version_is_an_error_naming_both_files(root: Path) -> None:
    write(root, "1.0.0-copy.yaml", outline_data(root))
    message = error_of(root)
    assert "duplicate version 1.0.0 of prompt outline" in message
    assert "1.0.0-copy.yaml" in message and "1.0.0.yaml" in message


def test_content_that_no_longer_matches_its_recorded_checksum_is_an_error(root: Path) -> None:
    spec = PromptRegistry(root=root).get("outline", "1.0.0")
    data = yaml.safe_load(prompt_to_yaml(spec))
    data.pop("checksum")
    data["version"] = "1.0.1"
    data["checksum"] = parse_prompt(data).checksum  # recorded for the original text...
    data["template"] = data["template"].replace("Plan a course.", "Plan a short course.")  # ...then edited
    write(root, "1.0.1.yaml", data)
    message = error_of(root)
    assert "no longer matches its recorded checksum" in message
    assert "1.0.1.yaml" in message


def test_a_recorded_checksum_that_matches_loads(root: Path) -> None:
    spec = PromptRegistry(root=root).get("outline", "1.0.0")
    data = yaml.safe_load(prompt_to_yaml(spec))
    data.pop("checksum")
    data["version"] = "1.0.1"
    data["checksum"] = parse_prompt(data).checksum
    write(root, "1.0.1.yaml", data)
    assert PromptRegistry(root=root).get("outline", "1.0.1").checksum == data["checksum"]


def test_a_file_in_another_prompts_folder_is_an_error(root: Path) -> None:
    data = outline_data(root)
    data["version"] = "9.0.0"
    write(root, "9.0.0.yaml", data, folder="lesson")
    assert "does not match its folder 'lesson'" in error_of(root)


def test_a_version_that_is_not_semantic_is_an_error(root: Path) -> None:
    data = outline_data(root)
    data["version"] = "latest"
    write(root, "latest.yaml", data)
    assert "not a semantic version" in error_of(root)


def test_invalid_yaml_is_an_error_naming_the_file(root: Path) -> None:
    (root / "outline" / "2.0.0.yaml").write_text("id: outline\ntemplate: [unclosed\n", encoding="utf-8")
    assert "2.0.0.yaml: not valid YAML" in error_of(root)


def test_a_label_pointing_at_a_missing_version_is_an_error(root: Path) -> None:
    (root / "labels.yaml").write_text('outline: {production: "3.0.0"}\n', encoding="utf-8")
    assert "label production of outline names missing version 3.0.0" in error_of(root)


def test_versions_sort_numerically() -> None:
    ordered = sorted(["1.10.0", "1.9.0", "1.9.0-rc.1", "2.0.0", "1.0.0"], key=version_key)
    assert ordered == ["1.0.0", "1.9.0-rc.1", "1.9.0", "1.10.0", "2.0.0"]
    # numbered pre-releases compare as numbers, and an edit sorts after its version
    ordered = sorted(["1.2.0+edit", "1.2.0", "1.2.0-rc.10", "1.2.0-rc.2", "1.2.0-beta.1"], key=version_key)
    assert ordered == ["1.2.0-beta.1", "1.2.0-rc.2", "1.2.0-rc.10", "1.2.0", "1.2.0+edit"]


def test_a_version_that_cannot_be_ordered_is_refused() -> None:
    assert is_version("1.2.0-rc.1") and is_version("1.2.0+edit")
    assert not is_version("1.0.0-alpha.beta")  # valid semver, no PEP 440 order
    assert not is_version("1.2")
    assert version_key("1.0.0-alpha.beta") < version_key("0.0.1")  # an old row still lists


# ------------------------------------------------------------------ mirror and saving


def test_files_are_mirrored_once_and_a_rewritten_published_version_is_refused(
    any_db: str, root: Path
) -> None:
    registry = PromptRegistry(root=root)
    with session_scope() as session:
        assert lab.sync_versions(session, registry) == len(registry.specs)
    with session_scope() as session:
        assert lab.sync_versions(session, registry) == 0
        row = session.exec(
            select(PromptVersion).where(
                PromptVersion.prompt_id == "outline", PromptVersion.version == "1.0.0"
            )
        ).one()
        assert row.checksum == registry.get("outline", "1.0.0").checksum
        assert row.body["template"] == registry.get("outline", "1.0.0").template

    data = outline_data(root)
    data["template"] = data["template"].replace("Plan a course.", "Plan a tiny course.")
    write(root, "1.0.0.yaml", data)
    with session_scope() as session, pytest.raises(AppError, match="was published with checksum"):
        lab.sync_versions(session, PromptRegistry(root=root))


def save(registry: PromptRegistry, **overrides: str) -> object:
    base = registry.get("outline", "1.0.0")
    kwargs = {
        "prompt_id": "outline",
        "base_version": "1.0.0",
        "version": "1.1.0",
        "owner": "ana",
        "changelog": "Shorter titles.",
        "template": base.template + "Keep titles under 60 characters.\n",
        **overrides,
    }
    with session_scope() as session:
        return lab.save_version(session, actor=ADMIN, registry=registry, **kwargs)


def test_saving_writes_a_checksummed_file_and_the_mirror(db: str, root: Path) -> None:
    spec = save(PromptRegistry(root=root))
    path = root / "outline" / "1.1.0.yaml"
    text = path.read_text(encoding="utf-8")
    assert f"checksum: {spec.checksum}" in text
    reloaded = PromptRegistry(root=root).get("outline", "1.1.0")
    assert reloaded.checksum == spec.checksum
    assert (reloaded.owner, reloaded.changelog) == ("ana", "Shorter titles.")
    with session_scope() as session:
        row = session.exec(select(PromptVersion).where(PromptVersion.version == "1.1.0")).one()
        assert row.checksum == spec.checksum and row.owner == "ana"
    name, download = lab.version_file("outline", "1.1.0", PromptRegistry(root=root))
    assert name == "outline-1.1.0.yaml" and download == text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"owner": "  "}, "owner is required"),
        ({"changelog": ""}, "changelog is required"),
        ({"version": "next"}, "not a semantic version"),
    ],
)
def test_saving_requires_owner_changelog_and_a_version(
    db: str, root: Path, overrides: dict, message: str
) -> None:
    with pytest.raises(AppError, match=message):
        save(PromptRegistry(root=root), **overrides)
    assert not (root / "outline" / "1.1.0.yaml").exists()


def test_an_existing_version_is_never_overwritten(db: str, root: Path) -> None:
    before = (root / "outline" / "1.0.0.yaml").read_text(encoding="utf-8")
    with pytest.raises(AppError, match="already exists"):
        save(PromptRegistry(root=root), version="1.0.0")
    assert (root / "outline" / "1.0.0.yaml").read_text(encoding="utf-8") == before

    save(PromptRegistry(root=root))
    saved = (root / "outline" / "1.1.0.yaml").read_text(encoding="utf-8")
    with pytest.raises(AppError, match="already exists"):
        save(PromptRegistry(root=root), template="Something else {{ topic }}")
    assert (root / "outline" / "1.1.0.yaml").read_text(encoding="utf-8") == saved


def test_a_version_known_only_to_the_database_is_not_reused(db: str, root: Path) -> None:
    save(PromptRegistry(root=root))
    (root / "outline" / "1.1.0.yaml").unlink()  # saved on another machine
    with pytest.raises(AppError, match="already exists"):
        save(PromptRegistry(root=root))


def test_an_edit_using_an_undeclared_variable_is_refused(db: str, root: Path) -> None:
    with pytest.raises(AppError, match="undeclared variables: budget"):
        save(PromptRegistry(root=root), template="Plan {{ topic }} within {{ budget }}.")
    with session_scope() as session:
        assert session.exec(select(PromptVersion).where(PromptVersion.version == "1.1.0")).first() is None


# ------------------------------------------------------------------ labels


def test_moving_a_label_is_recorded_and_active_prompt_follows_it(any_db: str, root: Path) -> None:
    registry = PromptRegistry(root=root)
    save(registry)
    registry = PromptRegistry(root=root)
    assert active_prompt("outline", registry=registry).version == "1.0.0"  # labels.yaml
    with session_scope() as session:
        event = lab.move_label(
            session,
            prompt_id="outline",
            label="production",
            version="1.1.0",
            actor=person("ana", Role.prompt_engineer),
            registry=registry,
        )
    assert (event.from_version, event.to_version, event.moved_by) == ("1.0.0", "1.1.0", "ana")
    assert event.moved_at is not None
    assert active_prompt("outline", registry=registry).version == "1.1.0"
    assert active_prompt("outline", "staging", registry=registry).version == "1.0.0"
    with session_scope() as session:
        row = session.exec(select(PromptLabel).where(PromptLabel.label == "production")).one()
        assert (row.version, row.moved_by) == ("1.1.0", "ana")


def test_a_label_move_can_be_rolled_back_and_the_rollback_is_recorded(db: str, root: Path) -> None:
    registry = PromptRegistry(root=root)
    save(registry)
    registry = PromptRegistry(root=root)
    with session_scope() as session:
        lab.move_label(session, prompt_id="outline", label="production", version="1.1.0", actor=person("ana", Role.prompt_engineer),
                       registry=registry)  # fmt: skip
    with session_scope() as session:
        back = lab.rollback_label(session, prompt_id="outline", label="production", actor=person("bo", Role.prompt_engineer),
                                  registry=registry)  # fmt: skip
    assert (back.from_version, back.to_version, back.moved_by) == ("1.1.0", "1.0.0", "bo")
    assert active_prompt("outline", registry=registry).version == "1.0.0"
    with session_scope() as session:
        events = session.exec(select(PromptLabelEvent)).all()
        assert [(e.from_version, e.to_version) for e in events] == [("1.0.0", "1.1.0"), ("1.1.0", "1.0.0")]


def test_rollback_without_a_recorded_move_is_an_error(db: str, root: Path) -> None:
    with session_scope() as session, pytest.raises(AppError, match="no earlier version"):
        lab.rollback_label(session, prompt_id="outline", label="production", actor=person("ana", Role.prompt_engineer),
                           registry=PromptRegistry(root=root))  # fmt: skip


@pytest.mark.parametrize(
    ("label", "version", "message"),
    [("canary", "1.0.0", "unknown label"), ("production", "7.0.0", "no version 7.0.0")],
)
def test_moving_to_an_unknown_label_or_version_is_refused(
    db: str, root: Path, label: str, version: str, message: str
) -> None:
    with session_scope() as session, pytest.raises(AppError, match=message):
        lab.move_label(session, prompt_id="outline", label=label, version=version, actor=person("ana", Role.prompt_engineer),
                       registry=PromptRegistry(root=root))  # fmt: skip


def test_a_worker_without_the_file_runs_the_mirrored_version(any_db: str, root: Path) -> None:
    spec = save(PromptRegistry(root=root))
    with session_scope() as session:
        lab.move_label(session, prompt_id="outline", label="production", version="1.1.0", actor=person("ana", Role.prompt_engineer),
                       registry=PromptRegistry(root=root))  # fmt: skip
    (root / "outline" / "1.1.0.yaml").unlink()  # the worker's checkout predates the save
    elsewhere = PromptRegistry(root=root)
    assert not elsewhere.has("outline", "1.1.0")
    active = active_prompt("outline", registry=elsewhere)
    assert (active.version, active.checksum, active.template) == ("1.1.0", spec.checksum, spec.template)
    assert get_spec("outline", "1.1.0", elsewhere).checksum == spec.checksum


def test_without_database_tables_labels_come_from_the_files(root: Path) -> None:
    # The default test database is not migrated: a bare script still gets a prompt.
    assert active_prompt("outline", registry=PromptRegistry(root=root)).version == "1.0.0"
