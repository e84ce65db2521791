"""Which baseline an evaluation is compared with, and which scores may gate it (issue 13).

A baseline belongs to one provider and one model (`evals/baselines/<provider>-<model>.json`):
comparing a real model with the offline writer's report measured the difference between
the two, not a change of prompt. The nightly run picks the file matching its provider and
model and says so when there is none, instead of passing silently.

Some scores cannot vary for a provider: the offline writer always answers in the schema and
answers the same request identically, so its schema validity and split stability are 1.0 by
construction. They are reported but never gate that provider.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from core.settings import ROOT

BASELINES_DIR = ROOT / "evals" / "baselines"
CONSTANT_SCORES: dict[str, tuple[str, ...]] = {"offline": ("schema_validity", "split_stability")}


def baseline_path(provider: str, model: str, folder: Path | None = None, prompt_id: str = "outline") -> Path:
    """The outline's baselines sit in evals/baselines/ itself (the nightly run's prompt);
    every other prompt's in a folder named for it (evals/baselines/lesson/...)."""
    # Model names carry dots and slashes ("gpt-4.1-mini", "org/model"): keep a plain file name.
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{provider}-{model}")
    root = folder or BASELINES_DIR
    return (root if prompt_id == "outline" else root / prompt_id) / f"{safe}.json"


def find_baseline(
    provider: str, model: str, prompt_id: str, folder: Path | None = None
) -> tuple[dict[str, Any] | None, str]:
    """(baseline, note): the matching baseline, or None and why there is none."""
    path = baseline_path(provider, model, folder, prompt_id)
    if not path.exists():
        return (
            None,
            f"no baseline for provider {provider!r} and model {model!r} ({path.name}); nothing was compared",
        )
    baseline = json.loads(path.read_text(encoding="utf-8"))
    if baseline.get("prompt_id") != prompt_id:
        return None, f"{path.name} is a baseline of prompt {baseline.get('prompt_id')!r}, not {prompt_id!r}"
    return baseline, f"compared with {path.name}"


def ungated(provider: str | None) -> tuple[str, ...]:
    return CONSTANT_SCORES.get(str(provider), ())
