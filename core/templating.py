"""The one place templates a person can write are parsed and rendered: a Jinja sandbox.

A plain ``jinja2.Environment`` lets a template walk from any object to Python's globals
(``lipsum.__globals__['os']``, ``().__class__.__base__.__subclasses__()``) and run shell
commands. Every authored template (prompt files, playground drafts) therefore goes
through two independent guards:

1. ``check_template`` walks the parsed template before anything renders and refuses
   attribute or item access to private/dunder names and the known escape hatches
   (``mro``, ``__globals__``, frame and code attributes, ``str.format`` on a literal,
   ``|attr``/``map(attribute=...)`` with a computed or unsafe name), naming the line.
2. Rendering happens in ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, which
   refuses the same things at run time, and also anything the static walk cannot see
   (names built from variables, values handed in by callers).

Both raise ``AppError(Code.TEMPLATE_REFUSED)`` with a message starting
"template refused", naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.errors import AppError, Code

# Attribute names that lead from an ordinary object to code, frames, modules or classes.
# Names starting with "_" are refused as a whole; these are the public-looking ones.
UNSAFE_NAMES = frozenset(
    {
        "mro",
        "func_globals",
        "func_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "tb_frame",
        "tb_next",
        "co_code",
        "im_func",
        "im_self",
        "im_class",
        # str.format / format_map reach attributes through the format mini-language; the
        # sandbox routes them through a safe formatter at run time, and the static check
        # refuses them outright.
        "format",
        "format_map",
    }
)
# Filters that look attributes up by a name given as data.
_ATTRIBUTE_FILTERS = {"attr"}
_ATTRIBUTE_KWARG_FILTERS = {
    "map",
    "selectattr",
    "rejectattr",
    "sort",
    "groupby",
    "unique",
    "sum",
    "min",
    "max",
}
_DUNDER_IN_TEXT = re.compile(r"__\w*|\.\s*_\w|\bmro\b")


def unsafe_name(name: str) -> bool:
    """True for attribute names a template may never use: private, dunder or escape hatches."""
    return name.startswith("_") or name in UNSAFE_NAMES


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str

    def message(self, where: str = "") -> str:
        prefix = f"{where}: " if where else ""
        return f"{prefix}template refused: line {self.line}: {self.reason}"


class PromptSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with our stricter attribute rule on top of Jinja's own."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if unsafe_name(attr):
            return False
        return super().is_safe_attribute(obj, attr, value)


# Prompts put text that users typed or imported between <user_data> and </user_data>, and
# the system prompt tells the model that such text is data, never instructions. A value
# must not be able to close that block early, so the `data` filter removes the tags.
DATA_TAG = "user_data"
_DATA_TAGS = re.compile(rf"<\s*/?\s*{DATA_TAG}\b[^>]*>", re.I)


def neutralize_data(value: Any) -> str:
    """User text made safe to put inside a <user_data> block: the delimiter tags removed."""
    text = str(value)
    while True:  # removing one tag can join the halves of another: repeat until stable
        cleaned = _DATA_TAGS.sub("", text)
        if cleaned == text:
            return cleaned
        text = cleaned


def _new_env() -> PromptSandbox:
    env = PromptSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["data"] = neutralize_data
    # Prompts need none of Jinja's helper globals; each one is a doorway to a module's
    # globals in an unsandboxed environment, so they are not offered at all.
    for name in ("lipsum", "cycler", "joiner", "namespace", "dict"):
        env.globals.pop(name, None)
    return env


SANDBOX = _new_env()


def _const_str(node: nodes.Node | None) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def _refusals(tree: nodes.Template) -> Iterator[Refusal]:
    for node in tree.find_all(nodes.Node):
        line = int(getattr(node, "lineno", 0) or 0)
        if isinstance(node, nodes.Getattr) and unsafe_name(node.attr):
            yield Refusal(line, f"attribute {node.attr!r} is not allowed")
        elif isinstance(node, nodes.Getitem):
            key = _const_str(node.arg)
            if key is not None and unsafe_name(key):
                yield Refusal(line, f"item {key!r} is not allowed")
        elif isinstance(node, nodes.Name) and node.name in (
            "self",
            "lipsum",
            "cycler",
            "joiner",
            "namespace",
        ):
            yield Refusal(line, f"name {node.name!r} is not allowed")
        elif isinstance(node, nodes.Filter | nodes.Test) and node.name in _ATTRIBUTE_FILTERS:
            name = _const_str(node.args[0]) if node.args else None
            if name is None:
                yield Refusal(line, f"filter {node.name!r} needs a literal attribute name")
            elif unsafe_name(name):
                yield Refusal(line, f"filter {node.name!r} with attribute {name!r} is not allowed")
        elif isinstance(node, nodes.Filter) and node.name in _ATTRIBUTE_KWARG_FILTERS:
            for kw in node.kwargs:
                if kw.key != "attribute":
                    continue
                name = _const_str(kw.value)
                if name is None:
                    yield Refusal(line, f"filter {node.name!r} needs a literal attribute name")
                elif any(unsafe_name(part) for part in name.split(".")):
                    yield Refusal(line, f"filter {node.name!r} with attribute {name!r} is not allowed")
        elif (
            isinstance(node, nodes.Const)
            and isinstance(node.value, str)
            and _DUNDER_IN_TEXT.search(node.value)
        ):
            # A literal like "{0.__class__}" or "__globals__" is only ever a building
            # block for an escape; plain prompt text is TemplateData, not Const.
            yield Refusal(line, f"literal {node.value[:40]!r} names a private attribute")


def check_template(text: str, where: str = "") -> nodes.Template:
    """Parse a template and refuse unsafe constructs before anything renders.

    Returns the parsed tree; raises AppError(TEMPLATE_REFUSED) naming the first bad
    line, or lets jinja2.TemplateSyntaxError through for the caller to report.
    """
    tree = SANDBOX.parse(text)
    found = sorted(set(_refusals(tree)), key=lambda r: (r.line, r.reason))
    if found:
        first = found[0]
        raise AppError(
            Code.TEMPLATE_REFUSED,
            first.message(where),
            details=[{"line": r.line, "reason": r.reason} for r in found],
        )
    return tree


def template_problems(text: str) -> list[Refusal]:
    """Every refusal in a template (empty when it is fine or does not parse)."""
    try:
        return sorted(set(_refusals(SANDBOX.parse(text))), key=lambda r: (r.line, r.reason))
    except Exception:  # a syntax error is reported by the parse step, not here
        return []


@lru_cache(maxsize=256)
def compile_template(text: str) -> Template:
    """A checked, compiled template. Compiling costs about a millisecond; cache it."""
    check_template(text)
    return SANDBOX.from_string(text)


def _template_line(tb: TracebackType | None) -> int:
    """The template line a render error happened on: Jinja rewrites tracebacks so frames
    of the compiled template carry the file name "<template>" and the template's line."""
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_template(text: str, variables: dict[str, Any], where: str = "") -> str:
    """Render an authored template in the sandbox; escapes become AppError(TEMPLATE_REFUSED)."""
    template = compile_template(text)
    try:
        return template.render(**variables)
    except SecurityError as exc:
        refusal = Refusal(_template_line(exc.__traceback__), str(exc))
        raise AppError(Code.TEMPLATE_REFUSED, refusal.message(where)) from None
