"""Recall and precision of the offline PII scan (core/pii.py) per kind, on the labelled
corpus in tests/fixtures/pii_corpus. Prints figures; tests/unit/test_pii.py holds the
targets (recall >= 0.95 and precision >= 0.9 on e-mails, phones and cards).

    .venv/bin/python bench/pii.py [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.pii import KINDS, scan  # noqa: E402

CORPUS_DIR = ROOT / "tests" / "fixtures" / "pii_corpus"
CORPUS = CORPUS_DIR / "corpus.yaml"  # the scanner was tuned on this part
HELDOUT = CORPUS_DIR / "heldout.yaml"  # written afterwards, never tuned on


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def load_corpus(*paths: Path) -> list[dict]:
    """Texts of the given parts (default: both), each {text, pii: [[kind, text], ...]}."""
    out: list[dict] = []
    for path in paths or (CORPUS, HELDOUT):
        out += yaml.safe_load(path.read_text(encoding="utf-8"))
    return out


def evaluate(corpus: list[dict], *, verbose: bool = False) -> dict[str, Tally]:
    """A found match counts when its kind and span overlap a labelled one."""
    tallies = {kind: Tally() for kind in KINDS}
    for item in corpus:
        text = item["text"]
        expected = []
        for kind, value in item["pii"]:
            start = text.index(value)
            expected.append((kind, start, start + len(value)))
        found = [(m.kind, m.start, m.end) for m in scan(text)]
        matched: set[int] = set()
        for kind, start, end in found:
            hit = next(
                (
                    i
                    for i, (k, s, e) in enumerate(expected)
                    if k == kind and s < end and start < e and i not in matched
                ),
                None,
            )
            if hit is None:
                tallies[kind].fp += 1
                if verbose:
                    print(f"  false positive {kind}: {text[start:end]!r} in {text!r}")
            else:
                matched.add(hit)
                tallies[kind].tp += 1
        for i, (kind, start, end) in enumerate(expected):
            if i not in matched:
                tallies[kind].fn += 1
                if verbose:
                    print(f"  missed {kind}: {text[start:end]!r} in {text!r}")
    return tallies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss and false positive")
    args = parser.parse_args(argv)
    for name, paths in (("tuning part", (CORPUS,)), ("held-out part", (HELDOUT,)), ("all", ())):
        corpus = load_corpus(*paths)
        started = time.perf_counter()
        tallies = evaluate(corpus, verbose=args.verbose)
        elapsed = time.perf_counter() - started
        negatives = sum(1 for item in corpus if not item["pii"])
        print(f"\n{name}: {len(corpus)} texts ({negatives} without PII), scanned in {elapsed * 1000:.0f} ms")
        print(
            f"{'kind':<10}{'labelled':>9}{'found':>7}{'TP':>5}{'FP':>5}{'FN':>5}{'recall':>9}{'precision':>11}"
        )
        for kind, t in tallies.items():
            print(
                f"{kind:<10}{t.tp + t.fn:>9}{t.tp + t.fp:>7}{t.tp:>5}{t.fp:>5}{t.fn:>5}"
                f"{t.recall:>9.3f}{t.precision:>11.3f}"
            )


if __name__ == "__main__":
    main()
