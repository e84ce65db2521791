"""The URL keeps a page's own query keys (the Costs filters) when lang/course are synced or
the same page is switched to; another page starts from lang and course only (merge of
issue 15's URL filters with issue-12's state.switch/link)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from ui import state

    state.init_from_url()
    state.sync_url()
    state.set_current_page("/app/pages/costs.py")
    st.session_state["same"] = state._params_for("pages/costs.py")
    st.session_state["other"] = state._params_for("pages/jobs.py")
    st.session_state["url"] = dict(st.query_params)


def test_sync_and_same_page_switch_keep_the_pages_own_keys() -> None:
    at = AppTest.from_function(_script)
    at.query_params.update({"lang": "ru", "course": "7", "group": "day", "preset": "7d"})
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["url"] == {"lang": "ru", "course": "7", "group": "day", "preset": "7d"}
    assert at.session_state["same"] == {"lang": "ru", "course": "7", "group": "day", "preset": "7d"}
    assert at.session_state["other"] == {"lang": "ru", "course": "7"}
