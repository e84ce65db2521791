"""Is the interface in the language it should be? Collects every visible text node of the
page's main area and sidebar (not the ace editor's iframe, not icon ligatures) and lists
the ones that are in the wrong language."""

from __future__ import annotations

import re
from typing import Any

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
LATIN_WORD = re.compile("[A-Za-z]{2,}")

VISIBLE_TEXTS_JS = """
() => {
  const roots = ['stMain', 'stSidebar'].map(id => document.querySelector(`[data-testid="${id}"]`)).filter(Boolean);
  const out = [];
  const skip = el => el.closest('[data-testid="stIconMaterial"], [data-testid="stExpanderIcon"], code, pre, textarea, .cs-content');
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!text || !el || skip(el)) continue;
      const style = getComputedStyle(el);
      if (style.fontFamily.includes('Material')) continue;  // icon ligatures (":material/add:")
      if (style.visibility === 'hidden' || style.display === 'none' || el.getClientRects().length === 0) continue;
      if (style.clip === 'rect(0px, 0px, 0px, 0px)') continue;  // screen-reader-only text is not seen
      out.push(text);
    }
  }
  return out;
}
"""

# Strings that are the same in every language: names, codes, numbers, units, formats.
LANGUAGE_NEUTRAL = [
    re.compile(p)
    for p in (
        r"English",  # the language switch offers each language in its own name
        r"Course Studio",
        r"(outline|lesson|slides|module)@[\w.\-]+",
        r"gpt-[\w.\-]+|offline|openai",
        r"E\.[A-Z_.]+",
        r"[\w\-]+\.(json|zip|pptx|md|mdx|html|yaml)",
        r"(JSON|PPTX|HTML|MDX|SCORM|ZIP|USD|Markdown|PowerPoint|API|OPENAI_API_KEY)",
        r"\d+(\.\d+)*\s*(ms|s|%|KB|MB)?",
        r"editor",  # the default author name, a person's name field
    )
]


def wrong_language(texts: list[str], lang: str, *, content: tuple[str, ...] = ()) -> list[str]:
    """The texts that are not in `lang`: for "ru", any text with a Latin word and no
    Cyrillic letter, unless it is language-neutral or course content; for "en", any text
    with Cyrillic that is not course content or the "Русский" switch."""
    bad = []
    for text in texts:
        if any(c and c in text for c in content):
            continue
        if lang == "ru":
            if CYRILLIC.search(text) or not LATIN_WORD.search(text):
                continue
            rest = text
            for pattern in LANGUAGE_NEUTRAL:
                rest = pattern.sub(" ", rest)
            if LATIN_WORD.search(rest):
                bad.append(text)
        elif CYRILLIC.search(text) and text != "Русский":
            bad.append(text)
    return sorted(set(bad))


def check_page(page: Any, lang: str, where: str, *, content: tuple[str, ...] = ()) -> None:
    texts = page.evaluate(VISIBLE_TEXTS_JS)
    assert texts, f"{where}: no text found"
    bad = wrong_language(texts, lang, content=content)
    assert not bad, f"{where}: not in {lang}: {bad}"
