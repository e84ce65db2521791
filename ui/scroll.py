"""Two small browser-side helpers Streamlit has no element for: the lesson preview follows
the editor (its scroll and its cursor), and a diff opens at its first change with a button
that goes back there.

Both are static scripts (no user or model text is ever part of them), installed once per
tab and re-attached as Streamlit redraws. streamlit-ace is a same-origin component frame,
so the page reaches its Ace instance (`.ace_editor.env.editor`, Ace's own back-reference).
"""

from __future__ import annotations

import html
import re

import streamlit as st

EDITOR_PREFIX = "cs-ed-"
PREVIEW_PREFIX = "cs-pv-"

# streamlit-ace grows with its text (its maxLines is unbounded), so a long lesson scrolls
# the page, not the editor: the preview stays in view beside it (sticky) and follows the
# editor line at the top of the window as well as the cursor.
_EDITOR_STYLE = """<style>
[data-testid="stHorizontalBlock"]:has([class*="st-key-%(preview)s"]) { align-items: stretch; }
[data-testid="stColumn"]:has([class*="st-key-%(preview)s"]) > [data-testid="stVerticalBlock"] { height: 100%%; }
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-%(preview)s"]) { position: sticky; top: 4rem; z-index: 1; }
</style>"""

_EDITOR_SYNC = """<script>
(() => {
  if (window.__csEditorSync) return;
  window.__csEditorSync = true;
  const HEAD = /^ {0,3}#{1,6}(\\s|$)/, FENCE = /^ {0,3}(```|~~~)/;
  const headingRows = (session) => {
    const rows = [];
    let fence = false;
    for (let r = 0; r < session.getLength(); r++) {
      const line = session.getLine(r);
      if (FENCE.test(line)) { fence = !fence; continue; }
      if (!fence && HEAD.test(line)) rows.push(r);
    }
    return rows;
  };
  // Where a source row is in the preview: at its section's heading plus the share of the
  // way to the next heading (the editor's headings and the preview's match one to one);
  // without matching headings, the same share of the whole text.
  const previewY = (session, box, row) => {
    const rows = headingRows(session);
    const heads = [...box.querySelectorAll('h1, h2, h3, h4, h5, h6')];
    const last = Math.max(1, session.getLength() - 1);
    const room = box.scrollHeight - box.clientHeight;
    if (!rows.length || rows.length !== heads.length) return (row / last) * room;
    // A heading lands a little below the box's top edge, so the first one is at 0.
    const y = (el) => Math.max(0, el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - 24);
    let i = -1;
    while (i + 1 < rows.length && rows[i + 1] <= row) i++;
    const fromRow = i < 0 ? 0 : rows[i], toRow = i + 1 < rows.length ? rows[i + 1] : last + 1;
    const fromY = i < 0 ? 0 : y(heads[i]), toY = i + 1 < heads.length ? y(heads[i + 1]) : box.scrollHeight;
    return fromY + (toY - fromY) * ((row - fromRow) / Math.max(1, toRow - fromRow));
  };
  // The editor lines a person sees: Ace's own window, clipped by the browser window (a grown
  // editor scrolls with the page, and Ace then thinks every line is on screen).
  const seen = (editor) => {
    const session = editor.session, lh = editor.renderer.lineHeight || 16;
    const frame = editor.container.ownerDocument.defaultView.frameElement;
    const rect = frame ? frame.getBoundingClientRect() : { top: 0, height: window.innerHeight };
    const clipTop = Math.max(0, -rect.top);
    const clipBottom = Math.max(clipTop, Math.min(rect.height, window.innerHeight - rect.top));
    const top = session.getScrollTop();
    return {
      first: session.screenToDocumentRow(Math.floor((top + clipTop) / lh), 0),
      last: session.screenToDocumentRow(Math.floor((top + clipBottom) / lh), 0),
      rect, lh, top,
    };
  };
  const scroller = (el) => {
    for (let e = el && el.parentElement; e; e = e.parentElement) {
      const o = getComputedStyle(e).overflowY;
      if ((o === 'auto' || o === 'scroll') && e.scrollHeight > e.clientHeight) return e;
    }
    return null;
  };
  // A cursor moved off the window (Ctrl+End in a grown editor) brings the page along.
  const reveal = (editor) => {
    const frame = editor.container.ownerDocument.defaultView.frameElement;
    const page = scroller(frame);
    if (!page) return;
    const { rect, lh, top } = seen(editor);
    const pos = editor.getCursorPosition();
    const y = rect.top + editor.session.documentToScreenRow(pos.row, pos.column) * lh - top;
    if (y < 80 || y > window.innerHeight - 60) page.scrollBy(0, y - window.innerHeight / 2);
  };
  const follow = (pair) => {
    const { editor, box } = pair;
    if (!box.isConnected) return;
    // The preview starts where the first line in view is; when the cursor is in view but
    // its place in the preview is not, the preview moves it a third of the way down.
    const { first, last } = seen(editor);
    const row = editor.getCursorPosition().row;
    let y = previewY(editor.session, box, first);
    if (row >= first && row <= last) {
      const at = previewY(editor.session, box, row);
      if (at < y || at > y + box.clientHeight - 48) y = at - box.clientHeight / 3;
    }
    box.scrollTop = Math.max(0, Math.min(y, box.scrollHeight - box.clientHeight));
  };
  const pairs = new Map();
  const attach = () => {
    for (const wrap of document.querySelectorAll('[class*="st-key-%(editor)s"]')) {
      const name = [...wrap.classList].find((c) => c.startsWith('st-key-%(editor)s'));
      const box = document.querySelector('.st-key-%(preview)s' + name.slice('st-key-%(editor)s'.length));
      const frame = wrap.querySelector('iframe');
      let el = null;
      try { el = frame && frame.contentDocument && frame.contentDocument.querySelector('.ace_editor'); } catch (e) { el = null; }
      const editor = el && el.env && el.env.editor;
      if (!box || !editor) continue;
      let pair = pairs.get(editor);
      if (pair) { pair.box = box; continue; }
      pair = { editor, box };
      pairs.set(editor, pair);
      const later = () => requestAnimationFrame(() => follow(pair));
      editor.selection.on('changeCursor', () => { reveal(editor); later(); });
      editor.session.on('changeScrollTop', later);
      // The preview is redrawn every tick or so: keep it where the editor says.
      new MutationObserver(later).observe(box, { childList: true, subtree: true });
    }
    for (const [editor, pair] of pairs) if (!pair.box.isConnected && !document.contains(editor.container)) pairs.delete(editor);
  };
  // The page scrolling past the editor moves the preview too.
  document.addEventListener('scroll', () => { for (const pair of pairs.values()) requestAnimationFrame(() => follow(pair)); }, true);
  setInterval(attach, 600);
  attach();
})();
</script>"""

_DIFF_JUMP = """<script>
(() => {
  if (window.__csDiffJump) return;
  window.__csDiffJump = true;
  // Scroll each box of one diff (inline, or both sides) so its first change is near the top.
  const jump = (boxes, focus) => {
    for (const box of boxes) {
      const first = box.querySelector('ins, del');
      if (!first) continue;
      const y = first.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
      box.scrollTop = Math.max(0, y - 24);
    }
    if (focus && boxes.length) {
      boxes[0].scrollIntoView({ block: 'nearest' });
      boxes[0].focus({ preventScroll: true });
    }
  };
  const boxesOf = (name) => [...document.querySelectorAll('.cs-diff')].filter((b) => b.dataset.diff === name);
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button.cs-jump');
    if (button) jump(boxesOf(button.dataset.diff), true);
  });
  // A diff opens at its first change (again whenever its text changes).
  const anchor = () => {
    for (const box of document.querySelectorAll('.cs-diff')) {
      const seen = String(box.innerHTML.length);
      if (box.dataset.anchored !== seen) { box.dataset.anchored = seen; jump([box], false); }
    }
  };
  new MutationObserver(() => requestAnimationFrame(anchor)).observe(document.body, { childList: true, subtree: true });
  anchor();
})();
</script>"""


# A script-only st.html would still take a row (and its gap) in the layout: hide its row.
_HIDDEN_ROW = (
    '<style>[data-testid="stElementContainer"]:has(.cs-script-only) { display: none; }</style>'
    '<span class="cs-script-only"></span>'
)


def script_html(body: str) -> None:
    """A static script (and style) of ours, run in the page without taking any room."""
    st.html(_HIDDEN_ROW + body, unsafe_allow_javascript=True)


def css_name(key: str) -> str:
    """A widget key as a CSS class fragment (Streamlit puts `st-key-<key>` on a container)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", key)


def editor_sync() -> None:
    names = {"editor": EDITOR_PREFIX, "preview": PREVIEW_PREFIX}
    script_html((_EDITOR_STYLE + _EDITOR_SYNC) % names)


def diff_jump_button(name: str, text: str) -> str:
    """The "first change" button for the diff whose boxes carry data-diff=name."""
    return (
        f'<button type="button" class="cs-jump" data-diff="{html.escape(name, quote=True)}">'
        f"{html.escape(text)}</button>"
    )


def diff_jump() -> None:
    script_html(_DIFF_JUMP)
