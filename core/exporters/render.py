"""Model text -> safe HTML: Markdown with raw HTML disabled, then an nh3 allowlist.

Two layers on purpose. markdown-it with `html=False` turns any `<tag>` in model text
into visible text and refuses `javascript:`/`vbscript:`/`file:` links; nh3 then keeps
only the tags, attributes and URL schemes listed here, so a renderer bug or a future
plugin cannot reintroduce script, event handlers, `javascript:` or `data:` URLs.
The app's previews use the same functions, so what an author sees is what ships.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
        "em", "strong", "s", "del", "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},  # fenced code: class="language-python"
    "th": {"style"},  # table alignment, filtered to text-align below
    "td": {"style"},
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # commonmark + GFM tables and strikethrough; html=False is the first safety layer.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(fragment: str) -> str:
    """The allowlist every rendered fragment passes, whatever produced it."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown_safe(text: str) -> str:
    """Block Markdown (a lesson body) as sanitized HTML."""
    if not text:
        return ""
    return sanitize_html(_markdown().render(text))


def render_inline_safe(text: str) -> str:
    """One line of Markdown (a title, a bullet) as sanitized inline HTML, no <p> wrapper."""
    if not text:
        return ""
    return sanitize_html(_markdown().renderInline(text))


def escape_text(text: str) -> str:
    """Plain text for <title>, attributes and navigation labels: no Markdown at all."""
    return html.escape(text or "", quote=True)
