"""The JSON schema we send to a provider, built by our own code for OpenAI's strict mode.

OpenAI's Structured Outputs (strict: true) accept only a subset of JSON Schema
(https://platform.openai.com/docs/guides/structured-outputs#supported-schemas):

- every object has ``additionalProperties: false`` and lists every property in
  ``required``; otherwise the API answers 400 "Invalid schema for response_format 'X': In
  context=(), 'additionalProperties' is required to be supplied and to be false." (seen in
  dottxt-ai/outlines#844, moeru-ai/xsai#202) or "... 'required' is required to be supplied
  and to be an array including every key in properties. Missing 'roles'." (vercel/ai#6484);
- keywords outside the documented list are refused: "'default' is not permitted"
  (instructor#1074, outlines#1254), "'maxLength' is not permitted" (our issue #8).

So we send only structural keywords (``EMITTED_KEYWORDS``) and move every limit pydantic
knows (lengths, item counts, ranges) into the field's ``description``, where the model reads
it as guidance. The limits themselves stay enforced by pydantic and the course rules after
the answer arrives; the gateway repairs or remediates what breaks them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel

# What OpenAI documents as supported in strict mode (the fake server accepts exactly these).
SUPPORTED_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "description",
        "title",
        "$defs",
        "$ref",
        # string
        "pattern",
        "format",
        # number
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        # array
        "minItems",
        "maxItems",
    }
)
# What we actually emit: the structural core every strict implementation we know of takes
# (Azure and older snapshots refused minItems/maxItems/minimum for a while).
EMITTED_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "description",
        "$defs",
        "$ref",
    }
)
# Limits pydantic writes into its schema, turned into words for the description.
_LIMIT_WORDS = {
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "more than {}",
    "exclusiveMaximum": "less than {}",
}


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The pydantic model's JSON schema, reduced to what OpenAI's strict mode accepts."""
    return _clean(copy.deepcopy(model.model_json_schema()))


def _clean(node: Any) -> Any:
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    limits = [word.format(node[key]) for key, word in _LIMIT_WORDS.items() if key in node]
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in EMITTED_KEYWORDS:
            continue
        if key == "properties" or key == "$defs":
            out[key] = {name: _clean(sub) for name, sub in value.items()}
        else:
            out[key] = _clean(value)
    if "$ref" in out:
        # A $ref must stand alone in strict mode; the limits are already on the target.
        return {"$ref": out["$ref"]}
    if limits:
        described = out.get("description", "")
        out["description"] = (described + " " if described else "") + "(" + ", ".join(limits) + ")"
    if out.get("type") == "object" or "properties" in out:
        props = out.setdefault("properties", {})
        out["type"] = "object"
        out["additionalProperties"] = False
        # Fields with a default become required too: strict mode has no optional keys.
        out["required"] = list(props)
    return out


def schema_violations(schema: Any, *, path: tuple[str, ...] = ()) -> list[str]:
    """Every place a schema breaks OpenAI's strict-mode rules, as OpenAI would word it."""
    problems: list[str] = []
    if isinstance(schema, list):
        for item in schema:
            problems += schema_violations(item, path=path)
        return problems
    if not isinstance(schema, dict):
        return problems
    context = repr(path) if len(path) != 1 else f"('{path[0]}',)"
    for key in schema:
        if key not in SUPPORTED_KEYWORDS:
            problems.append(f"In context={context}, '{key}' is not permitted.")
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            problems.append(
                f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
            )
        required = schema.get("required")
        props = schema.get("properties") or {}
        missing = [name for name in props if not isinstance(required, list) or name not in required]
        if missing:
            problems.append(
                f"In context={context}, 'required' is required to be supplied and to be an array "
                f"including every key in properties. Missing '{missing[0]}'."
            )
        for name, sub in props.items():
            problems += schema_violations(sub, path=(*path, "properties", name))
    for key in ("items", "anyOf"):
        if key in schema:
            problems += schema_violations(schema[key], path=(*path, key))
    for name, sub in (schema.get("$defs") or {}).items():
        problems += schema_violations(sub, path=(*path, "$defs", name))
    return problems


def schema_prompt(model: type[BaseModel]) -> str:
    """The instruction that carries the schema when the server cannot take it in response_format."""
    schema = json.dumps(strict_json_schema(model), ensure_ascii=False, separators=(",", ":"))
    return (
        f"Answer with one JSON object only (no prose, no code fences) that matches the JSON schema "
        f"named {model.__name__}:\n{schema}"
    )
