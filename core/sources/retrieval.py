"""BM25 retrieval over a course's chunks (bm25s: sparse-matrix BM25, actively maintained),
with Snowball stemming (PyStemmer) so "политика" finds "политики" and "policies" finds
"policy". Cyrillic tokens get the Russian stemmer, the rest the English one, so a course
mixing both languages still matches."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

RELATIVE_FLOOR = 0.35  # of the best score
_TOKEN = re.compile(r"\w{2,}", re.U)
_CYRILLIC = re.compile(r"[а-яё]")
_STOP = {
    # Function words that would otherwise dominate short queries.
    "the", "and", "for", "with", "that", "this", "from", "are", "was", "you", "your", "how", "what",
    "into", "its", "not", "but", "can", "will", "all", "use", "using",
    "и", "в", "во", "на", "не", "что", "как", "для", "по", "из", "от", "до", "это", "или", "при",
    "то", "же", "так", "его", "её", "их", "мы", "вы", "он", "она", "они", "с", "со", "к", "ко", "о", "об",
}  # fmt: skip


class HasText(Protocol):
    # Read-only members, so frozen dataclasses and named tuples match too.
    @property
    def key(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def text(self) -> str: ...


@lru_cache(maxsize=2)
def _stemmer(lang: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(lang)


def tokens(text: str) -> list[str]:
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOP and not w.isdigit()]
    ru = [w for w in words if _CYRILLIC.search(w)]
    stems_ru = dict(zip(ru, _stemmer("russian").stemWords(ru), strict=True))
    other = [w for w in words if w not in stems_ru]
    stems_en = dict(zip(other, _stemmer("english").stemWords(other), strict=True))
    return [stems_ru.get(w) or stems_en[w] for w in words]


@dataclass
class Index:
    """An index over chunks, built once per job and queried per lesson."""

    chunks: Sequence[HasText]
    _bm25: Any = None
    _vocab: frozenset[str] = frozenset()

    @classmethod
    def build(cls, chunks: Sequence[HasText]) -> Index:
        import bm25s

        index = cls(chunks=list(chunks))
        corpus = [tokens(f"{c.heading}\n{c.text}") or ["_empty_"] for c in index.chunks]
        if corpus:
            index._bm25 = bm25s.BM25()
            index._bm25.index(corpus, show_progress=False)
            index._vocab = frozenset(t for doc in corpus for t in doc)
        return index

    def search(self, query: str, k: int) -> list[HasText]:
        """The k chunks most relevant to the query, best first; none when nothing matches."""
        if self._bm25 is None:
            return []
        words = [t for t in tokens(query) if t in self._vocab]
        if not words:
            return []
        k = min(k, len(self.chunks))
        docs, scores = self._bm25.retrieve([words], k=k, show_progress=False)
        best = float(scores[0][0]) if len(scores[0]) else 0.0
        # A passage far below the best match shares only a stray word with the query
        # ("leave" in "leave your desk"): it would dilute the lesson, so it is left out.
        return [
            self.chunks[int(d)]
            for d, s in zip(docs[0], scores[0], strict=True)
            if s > 0 and s >= RELATIVE_FLOOR * best
        ]
