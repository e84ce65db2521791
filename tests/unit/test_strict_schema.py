"""Every schema the project sends to a provider passes OpenAI's strict-mode rules (issue 8)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.llm.base import LLMRequest
from core.llm.providers.openai_provider import RESPONSE_FORMAT_MODES, OpenAIProvider, response_format
from core.llm.strict_schema import EMITTED_KEYWORDS, SUPPORTED_KEYWORDS, schema_violations, strict_json_schema
from core.prompts import get_registry
from core.schemas import SCHEMAS, Outline
from core.settings import get_settings
from tests.fakes.openai_server import STRICT_KEYWORDS, strict_schema_problem


def _walk(node: Any, path: str = "$") -> list[tuple[str, str]]:
    """(path, keyword) for every keyword of every schema node, $defs and properties included."""
    found: list[tuple[str, str]] = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            found += _walk(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            found.append((path, key))
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    found += _walk(sub, f"{path}.{key}.{name}")
            elif key in ("items", "anyOf"):
                found += _walk(value, f"{path}.{key}")
    return found


def _sent_schemas() -> list[tuple[str, dict[str, Any]]]:
    """The schema of every request the OpenAI provider builds: each prompt version's schema
    (what jobs, the playground and evaluations send) and every schema in SCHEMAS."""
    client = httpx.Client()
    provider = OpenAIProvider(get_settings(), client)
    out = []
    registry = get_registry()
    names = {spec.schema_name for pid in registry.ids() for spec in registry.versions(pid)} | set(SCHEMAS)
    for name in sorted(names):
        request = LLMRequest(
            step="x", messages=[{"role": "user", "content": "hi"}], schema=SCHEMAS[name], model="gpt-4.1-mini"
        )
        params = provider._params(request)
        out.append((name, params["response_format"]["json_schema"]["schema"]))
    client.close()
    return out


SENT = _sent_schemas()


@pytest.mark.parametrize(("name", "schema"), SENT, ids=[n for n, _ in SENT])
def test_every_sent_schema_uses_only_supported_keywords(name: str, schema: dict[str, Any]) -> None:
    outside = [(path, key) for path, key in _walk(schema) if key not in SUPPORTED_KEYWORDS]
    assert outside == [], f"{name}: keywords OpenAI strict mode refuses: {outside}"
    # What we emit is narrower still: no limits at all, they live in pydantic.
    assert {key for _, key in _walk(schema)} <= EMITTED_KEYWORDS
    for forbidden in ("default", "minLength", "maxLength", "title"):
        assert forbidden not in {key for _, key in _walk(schema)}


@pytest.mark.parametrize(("name", "schema"), SENT, ids=[n for n, _ in SENT])
def test_every_object_is_closed_and_requires_all_its_properties(name: str, schema: dict[str, Any]) -> None:
    assert schema_violations(schema) == []
    assert strict_schema_problem(schema) is None  # the fake's independent checker agrees
    objects = 0
    for node in _objects(schema):
        objects += 1
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
    assert objects >= 1


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for item in node:
            found += _objects(item)
    return found


def test_pydantic_schema_itself_would_be_refused() -> None:
    """The checker is not vacuous: the schema pydantic writes breaks the rules (the bug of #8)."""
    raw = Outline.model_json_schema()
    problems = schema_violations(raw)
    assert any("'maxLength' is not permitted" in p for p in problems)
    assert any("Missing 'summary'" in p for p in problems)  # a field with a default
    assert strict_schema_problem(raw) is not None


def test_limits_move_into_descriptions() -> None:
    title = strict_json_schema(Outline)["properties"]["title"]
    assert title == {"type": "string", "description": "(at least 2 characters, at most 120 characters)"}


def test_fake_keyword_list_matches_ours() -> None:
    assert STRICT_KEYWORDS == SUPPORTED_KEYWORDS


@pytest.mark.parametrize("mode", RESPONSE_FORMAT_MODES)
def test_response_format_per_mode(mode: str) -> None:
    fmt = response_format(Outline, mode)
    if mode == "strict":
        assert fmt["json_schema"]["strict"] is True and fmt["json_schema"]["name"] == "Outline"
    elif mode == "json_schema":
        assert fmt["json_schema"]["strict"] is False
    elif mode == "json_object":
        assert fmt == {"type": "json_object"}
    else:
        assert fmt is None
