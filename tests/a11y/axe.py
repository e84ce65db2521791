"""axe-core in Playwright pages: the engine ships inside the `axe-playwright-python` wheel
(pinned in requirements-dev.txt), so the tests need no network and no npm."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import axe_playwright_python

# WCAG 2.0 A/AA and 2.1 A/AA: the levels the issue holds the exports and the studio to.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The exports are held to axe's best practices too (heading order, one main, unique landmarks).
EXPORT_TAGS = [*WCAG_TAGS, "best-practice"]


@lru_cache(maxsize=1)
def axe_source() -> str:
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def run_axe(
    target: Any, *, tags: list[str] | None = None, exclude: list[str] | None = None
) -> list[dict[str, Any]]:
    """Violations of the WCAG rules on a page or frame: [{id, impact, help, nodes: [...]}]."""
    # axe tests a frame only when axe is in that frame too: inject it into every frame.
    frames = (
        [target.main_frame, *target.main_frame.child_frames] if hasattr(target, "main_frame") else [target]
    )
    for frame in frames:
        if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
            frame.evaluate(axe_source())
    context: dict[str, Any] = {"exclude": [[sel] for sel in exclude or []]} if exclude else {}
    result = target.evaluate(
        "async ([ctx, tags]) => { const r = await axe.run(Object.keys(ctx).length ? ctx : document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => ({target: n.target.join(' '), path: n.target, summary: n.failureSummary,"
        " html: n.html.slice(0, 200)}))})); }",
        [context, tags or WCAG_TAGS],
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
    return "\n".join(lines)
