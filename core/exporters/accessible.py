"""Model Markdown -> accessible, sanitized HTML for the HTML and SCORM pages.

Three fixes that plain rendering cannot make, done on markdown-it's token stream (before
any HTML exists) so nothing is parsed back out of markup:

- Heading levels: a page has exactly one h1 (its title) and never skips a level, so the
  model's `#`/`##`... headings are moved under the heading that contains them (`base`)
  and a jump (h2 -> h4) is closed to one step.
- Language of parts (WCAG 3.1.2): a block written in another script than the course's
  language gets `lang`, and a run of words in the other script inside a sentence is
  wrapped in `<span lang>`. Only what can be known is marked: the studio writes courses in
  English or Russian, so a mostly Cyrillic passage is `ru` and a mostly Latin passage in
  a Cyrillic-script course is `en`. Code is never marked (it is not natural language).
- Images: their alt text is read from the tokens so a missing one can be reported.

The result still passes `sanitize_html`, with `lang` added to the allowlist only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdown_it.token import Token
from markupsafe import Markup, escape

from core.exporters.render import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    _markdown,
    render_inline_safe,
)

# Languages whose text is Cyrillic; every other course language is read as Latin-script.
CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk"})
# Block elements that may carry a lang for the text they hold.
_LANG_TAGS = ("p", "li", "td", "th", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
_CODE_SPAN = re.compile(r"`[^`]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_MIN_LETTERS = 3  # "OK" or "ИИ" alone is not a passage in another language
# Runs of words in one script inside a sentence of the other (letters, digits, spaces, - ').
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*(?:\s+[A-Za-z0-9][A-Za-z0-9'’\-]*)*")
_CYRILLIC_RUN = re.compile(
    r"[\u0400-\u04ff][\u0400-\u04ff0-9'’\-]*(?:\s+[\u0400-\u04ff0-9][\u0400-\u04ff0-9'’\-]*)*"
)


def base_language(language: str) -> str:
    return (language or "en").split("-")[0].lower()


def passage_language(text: str, course_language: str) -> str | None:
    """The language of a passage when it differs from the course's and can be told by script."""
    plain = _LINK_TARGET.sub("]", _CODE_SPAN.sub(" ", text or ""))
    cyrillic = len(_CYRILLIC.findall(plain))
    latin = len(_LATIN.findall(plain))
    if cyrillic + latin < _MIN_LETTERS:
        return None
    course_is_cyrillic = base_language(course_language) in CYRILLIC_LANGUAGES
    if not course_is_cyrillic and cyrillic > latin:
        return "ru"
    if course_is_cyrillic and latin > cyrillic:
        return "en"
    return None


@dataclass(frozen=True)
class ImageRef:
    src: str
    alt: str


def _sanitize(fragment: str) -> str:
    attributes = {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}
    for tag in (*_LANG_TAGS, "span"):
        attributes.setdefault(tag, set()).add("lang")
    return nh3.clean(
        fragment,
        tags={*ALLOWED_TAGS, "span"},
        attributes=attributes,
        url_schemes=set(URL_SCHEMES),
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _shift_levels(levels: list[int], base: int) -> list[int]:
    """New levels: the shallowest heading becomes `base`, and no step down skips a level."""
    if not levels:
        return []
    top = min(levels)
    shifted: list[int] = []
    previous = base - 1
    for level in levels:
        wanted = level - top + base
        new = min(wanted, previous + 1, 6)
        shifted.append(max(new, base))
        previous = shifted[-1]
    return shifted


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content  # only our own fixed span tags, never course text
    return token


def _mark_inline_runs(inline: Token, block_language: str) -> None:
    """Wrap words in the other script inside a sentence in <span lang> (WCAG 3.1.2)."""
    cyrillic_block = base_language(block_language) in CYRILLIC_LANGUAGES
    pattern, lang = (_LATIN_RUN, "en") if cyrillic_block else (_CYRILLIC_RUN, "ru")
    children: list[Token] = []
    for child in inline.children or []:
        if child.type != "text":
            children.append(child)
            continue
        position = 0
        for match in pattern.finditer(child.content):
            letters = sum(ch.isalpha() for ch in match.group(0))
            if letters < _MIN_LETTERS or match.group(0) == child.content.strip():
                continue  # too short to tell, or the whole text (the block carries the lang)
            if match.start() > position:
                children.append(_text(child.content[position : match.start()]))
            children += [_html(f'<span lang="{lang}">'), _text(match.group(0)), _html("</span>")]
            position = match.end()
        if position == 0:
            children.append(child)
        elif position < len(child.content):
            children.append(_text(child.content[position:]))
    inline.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def render_accessible(text: str, *, base: int = 2, language: str = "en") -> str:
    """Block Markdown as sanitized HTML with shifted headings and lang on foreign passages."""
    if not text:
        return ""
    md = _markdown()
    tokens = md.parse(text)
    opens = [t for t in tokens if t.type == "heading_open"]
    for token, level in zip(opens, _shift_levels([int(t.tag[1]) for t in opens], base), strict=True):
        token.tag = f"h{level}"
    for i, token in enumerate(tokens):
        if token.type == "heading_close":
            # the matching open is the nearest earlier heading_open
            for j in range(i - 1, -1, -1):
                if tokens[j].type == "heading_open":
                    token.tag = tokens[j].tag
                    break
        if token.type != "inline":
            continue
        lang = passage_language(token.content, language)
        if lang is not None:
            # the element that shows this text: skip the hidden <p> of a tight list item
            for j in range(i - 1, -1, -1):
                holder = tokens[j]
                if holder.nesting == 1 and not holder.hidden:
                    if holder.tag in _LANG_TAGS:
                        holder.attrSet("lang", lang)
                    break
        _mark_inline_runs(token, lang or language)
    return _sanitize(md.renderer.render(tokens, md.options, {}))


def render_inline_accessible(text: str, *, language: str = "en") -> Markup:
    """One line (a title, an option) as sanitized inline HTML; a foreign line gets a lang span."""
    rendered = render_inline_safe(text)
    lang = passage_language(text, language)
    if lang is None:
        return Markup(rendered)  # trusted: the text went through nh3 just now
    # `lang` is one of two fixed codes, never text from the course.
    return Markup(f'<span lang="{escape(lang)}">{rendered}</span>')


def images(text: str) -> list[ImageRef]:
    """Every image in a Markdown text, with its alt text (empty when the author gave none)."""
    found: list[ImageRef] = []
    for token in _markdown().parse(text or ""):
        for child in token.children or []:
            if child.type == "image":
                found.append(ImageRef(src=str(child.attrGet("src") or ""), alt=child.content.strip()))
    return found
