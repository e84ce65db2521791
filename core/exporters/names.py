"""Readable file names for exports: Cyrillic titles are transliterated, not dropped
("Очистка данных" -> "ochistka-dannykh", never a bare "course-1")."""

from __future__ import annotations

import re
import unicodedata

# Russian -> Latin, close to the BGN/PCGN and passport (ICAO 9303) tables people expect.
_RU = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}  # fmt: skip


def transliterate(text: str) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        out.append(_RU.get(low, ch))
    return unicodedata.normalize("NFKD", "".join(out)).encode("ascii", "ignore").decode("ascii")


def slugify(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", transliterate(text).lower()).strip("-")[:limit].strip("-")
