"""Widget limits taken from the schema, and the guard that says an out-of-range number in
our words (and Streamlit's English typing hints in the interface language).

Streamlit 1.67's number box refuses a value outside its min/max in the browser: it keeps
the old value on the server, marks the box red with an English tooltip, and a plain
button next to it still runs with the old value (a silent no-op at best, the wrong value
saved at worst). The guard (a static script, no user or model text in it) shows the very
phrase the server would give for that field and holds back the buttons of the same form
or guarded container until the number is back in range.
"""

from __future__ import annotations

import json

from annotated_types import MaxLen
from pydantic import BaseModel
from pydantic.types import StringConstraints

from ui import state
from ui.i18n import t
from ui.scroll import script_html
from ui.validation import labelled, limits

# A container whose key starts with this is held back by the guard like a form is.
GUARD_PREFIX = "guard-"


def bounds(model: type[BaseModel], field: str, value: object = None) -> dict[str, int]:
    """`min_value`/`max_value` for st.number_input: the schema's ge/le. A stored value
    already outside them (older data) gets no bounds: Streamlit would refuse to draw the
    widget, and the server's check names the problem on save instead."""
    low, high = limits(model, field)
    if isinstance(value, int | float) and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        return {}
    out: dict[str, int] = {}
    if low is not None:
        out["min_value"] = low
    if high is not None:
        out["max_value"] = high
    return out


def max_chars(model: type[BaseModel], field: str) -> int | None:
    """The schema's max_length of a text field, for st.text_input/text_area."""
    for meta in model.model_fields[field].metadata:
        if isinstance(meta, StringConstraints) and meta.max_length is not None:
            return int(meta.max_length)
        if isinstance(meta, MaxLen):
            return int(meta.max_length)
    return None


_STYLE = """<style>
.cs-range-error { color: #a50e0e; font-size: 0.875rem; margin-top: 0.25rem; }
[data-testid="stNumberInput"] .stTooltipErrorHoverTarget { display: none; }
[data-testid="stNumberInput"]:has(input[aria-invalid="true"]) [data-testid="InputInstructions"] { display: none; }
</style>"""

_SCRIPT = """<script>
(() => {
  window.__csRange = %s;
  if (window.__csRangeGuard) { window.__csRangeGuard(); return; }
  const outOfRange = (input) => {
    if (input.value === '' || Number.isNaN(Number(input.value))) return null;
    const v = Number(input.value);
    if (input.min !== '' && v < Number(input.min)) return ['low', input.min];
    if (input.max !== '' && v > Number(input.max)) return ['high', input.max];
    return null;
  };
  const say = (input, bad) => window.__csRange[bad[0]]
    .replace('{field}', input.getAttribute('aria-label') || '').replace('{limit}', bad[1]);
  const inputs = (root) => root.querySelectorAll('input[data-testid="stNumberInputField"]');
  const mark = () => {
    for (const input of inputs(document)) {
      const box = input.closest('[data-testid="stNumberInput"]');
      if (!box) continue;
      let note = box.querySelector(':scope > .cs-range-error');
      const bad = outOfRange(input);
      if (!bad) { if (note) note.remove(); continue; }
      const text = '\\u26a0 ' + say(input, bad);
      if (!note) {
        note = document.createElement('div');
        note.className = 'cs-range-error';
        box.appendChild(note);
      }
      if (note.textContent !== text) note.textContent = text;
      // Streamlit's own screen-reader alert says it in English: say ours instead.
      const alert = document.getElementById(input.id + '-validation-error');
      if (alert && alert.firstChild && alert.firstChild.nodeValue !== say(input, bad)) {
        alert.firstChild.nodeValue = say(input, bad);
      }
    }
  };
  let queued = false;
  const later = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; mark(); }); } };
  new MutationObserver(later).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-invalid', 'value'] });
  window.addEventListener('input', later, true);
  // Streamlit's own typing hints ("Press Enter to apply") are English only: ours replace them.
  const hints = () => {
    const said = window.__csRange.hints || {};
    for (const box of document.querySelectorAll('[data-testid="InputInstructions"]')) {
      const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = said[node.nodeValue.trim()];
        if (text && node.nodeValue !== text) node.nodeValue = text;
      }
    }
  };
  new MutationObserver(hints).observe(document.body, { childList: true, subtree: true, characterData: true });
  // Capture phase on window runs before React's handlers: the button's run never starts.
  window.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button');
    const scope = button && (button.closest('[data-testid="stForm"]') || button.closest('[class*="st-key-%s"]'));
    if (!scope) return;
    const bad = [...inputs(scope)].find((input) => outOfRange(input));
    if (!bad) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    mark();
    bad.focus();
  }, true);
  window.__csRangeGuard = later;
  later();
})();
</script>"""


def _hints() -> dict[str, str]:
    """Streamlit 1.67's input hints (frontend InputInstructions) -> ours; none in English."""
    if state.lang() == "en":
        return {}
    out: dict[str, str] = {}
    for keys in ("Ctrl", "⌘"):
        out[f"Press {keys}+Enter to apply"] = t("hint_keys_enter_apply", keys=keys)
        out[f"Press {keys}+Enter to submit form"] = t("hint_keys_enter_submit", keys=keys)
    out["Press Enter to apply"] = t("hint_enter_apply")
    out["Press Enter to submit form"] = t("hint_enter_submit")
    return out


def range_guard() -> None:
    """Install the guard (once per tab) with this run's language; safe to call every run."""
    phrases: dict[str, object] = {
        "low": labelled({"type": "greater_than_equal", "ctx": {"ge": "{limit}"}}, "{field}"),
        "high": labelled({"type": "less_than_equal", "ctx": {"le": "{limit}"}}, "{field}"),
        "hints": _hints(),
    }
    # Our catalog's phrases only; `</` is escaped so no phrase can end the script early.
    payload = json.dumps(phrases, ensure_ascii=False).replace("</", "<\\/")
    script_html(_STYLE + _SCRIPT % (payload, GUARD_PREFIX))
