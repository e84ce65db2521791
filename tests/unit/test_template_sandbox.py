"""Authored templates cannot escape (issue 9): a corpus of Jinja injection payloads that
run code under a plain Environment (positive control) and do nothing under ours."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from jinja2 import StrictUndefined

from core.errors import AppError, Code
from core.prompts import PromptRegistry, parse_prompt
from core.templating import (
    PromptSandbox,
    check_template,
    neutralize_data,
    render_template,
    template_problems,
)

CORPUS = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "template_injection.yaml").read_text())
assert os.name  # the config-style payloads reach this module's globals through FakeConfig


class FakeConfig(dict):
    """Stands for a framework config object a careless app might hand to a template."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class FakeRequest:
    """Stands for a framework request object (Flask's `request.application`)."""

    def application(self) -> str:
        return "app"


def _context() -> dict[str, Any]:
    return {
        "topic": "Git",
        "objectives": ["branch", "merge"],
        "config": FakeConfig(SECRET_KEY="s3cr3t-value"),
        "request": FakeRequest(),
    }


def _payload(case: dict[str, Any], marker: Path) -> str:
    return case["template"].replace("@@MARKER@@", str(marker))


def test_corpus_is_large_and_varied() -> None:
    ids = [c["id"] for c in CORPUS]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    text = " ".join(c["template"] for c in CORPUS)
    for technique in (
        "lipsum",
        "cycler",
        "joiner",
        "namespace",
        "self.",
        "__subclasses__",
        "|attr(",
        "map(attribute=",
        ".format(",
        "config.",
        "request.",
    ):
        assert technique in text, technique


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_payload_escapes_a_plain_environment(case: dict[str, Any], tmp_path: Path) -> None:
    """Positive control: the payload really works against jinja2.Environment."""
    marker = tmp_path / f"marker-{case['id']}"
    out = jinja2.Environment().from_string(_payload(case, marker)).render(**_context())
    if case["kind"] == "exec":
        assert marker.exists(), f"{case['id']} did not create its marker under a plain Environment"
    else:
        assert case["leaks"] in out


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_payload_is_refused_before_render(case: dict[str, Any], tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    with pytest.raises(AppError) as err:
        check_template("Plan a course.\n" + _payload(case, marker), "prompt x")
    assert err.value.code == Code.TEMPLATE_REFUSED
    assert err.value.message.startswith("prompt x: template refused: line 2: ")
    assert template_problems(_payload(case, marker))
    with pytest.raises(AppError) as err:
        render_template(_payload(case, marker), _context())
    assert err.value.code == Code.TEMPLATE_REFUSED
    assert not marker.exists()


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_sandbox_alone_holds_without_the_static_check(case: dict[str, Any], tmp_path: Path) -> None:
    """Defence in depth: the runtime sandbox, with Jinja's default globals put back and
    no static check, still runs nothing and leaks nothing."""
    marker = tmp_path / "marker"
    env = PromptSandbox(undefined=StrictUndefined)
    out = ""
    with contextlib.suppress(jinja2.exceptions.SecurityError, jinja2.exceptions.UndefinedError, TypeError):
        out = env.from_string(_payload(case, marker)).render(**_context())
    assert not marker.exists()
    if case["kind"] == "leak":
        assert case["leaks"] not in out


@pytest.mark.parametrize("case", CORPUS[:5], ids=[c["id"] for c in CORPUS[:5]])
def test_prompt_with_payload_cannot_be_parsed(case: dict[str, Any], tmp_path: Path) -> None:
    data = {
        "id": "outline",
        "version": "9.9.9",
        "owner": "x",
        "changelog": "x",
        "schema": "Outline",
        "variables": ["topic"],
        "system": "You plan courses.",
        "template": "Topic: {{ topic }}\n\n" + _payload(case, tmp_path / "m"),
    }
    with pytest.raises(AppError) as err:
        parse_prompt(data)
    assert err.value.code == Code.TEMPLATE_REFUSED
    assert "template refused: line 3" in err.value.message


def test_render_time_refusal_names_the_line() -> None:
    """What the static walk lets through, the sandbox refuses while rendering: here the
    immutable sandbox refuses to mutate a list handed in as a variable."""
    variables = _context()
    with pytest.raises(AppError) as err:
        render_template("a\nb\n{{ objectives.append('x') }}", variables, "prompt p")
    assert err.value.code == Code.TEMPLATE_REFUSED
    assert err.value.message.startswith("prompt p: template refused: line 3: ")
    assert variables["objectives"] == ["branch", "merge"]


def test_ordinary_templates_still_work() -> None:
    text = "{% for o in objectives %}- {{ o|upper }} ({{ loop.index }})\n{% endfor %}{{ topic ~ '!' }}"
    assert render_template(text, _context()) == "- BRANCH (1)\n- MERGE (2)\nGit!"
    assert template_problems("{{ items|map(attribute='title')|join(', ') }}") == []


# ------------------------------------------------------------------ byte-identical prompts


def _fixed_variables() -> dict[str, Any]:
    from core.schemas import CourseParams
    from core.services.prompt_lab import variables_for

    params = CourseParams.model_validate(
        {
            "topic": "Git для дизайнеров",
            "audience": "product designers",
            "level": "beginner",
            "language": "ru",
            "total_duration_minutes": 120,
            "module_count": 3,
            "lessons_per_module": 2,
            "constraints": "Use examples from Figma.\nNo command line before lesson 2.",
        }
    )
    return {**variables_for(params), "instruction": "Shorter, please."}


@pytest.mark.parametrize("empty_optional", [False, True])
def test_every_prompt_version_renders_byte_identically(empty_optional: bool) -> None:
    plain = jinja2.Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    # Versions from 1.1.0 on use our `data` filter (a pure function): give the old
    # environment the same filter, so what is compared is the environment alone.
    plain.filters["data"] = neutralize_data
    variables = _fixed_variables()
    if empty_optional:
        variables.update(constraints="", instruction="", other_modules=[])
    registry = PromptRegistry()
    assert {v for _, v in registry.specs} >= {"1.0.0", "1.1.0"}
    for spec in registry.specs.values():
        ours = spec.render(variables)
        old = [
            plain.from_string(spec.system).render(**variables),
            plain.from_string(spec.template).render(**variables),
        ]
        assert [m["content"] for m in ours] == old, f"{spec.prompt_id}@{spec.version}"
