"""Cached lookups for the Video page: HeyGen's avatar and voice lists, local voices."""

from __future__ import annotations

import streamlit as st

from core.services.video import heygen_lists, heygen_quota, local_voices


@st.cache_data(ttl=3600, show_spinner=False)
def cached_heygen_lists() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return heygen_lists()


@st.cache_data(ttl=60, show_spinner=False)
def cached_heygen_quota() -> float:
    return heygen_quota()


@st.cache_data(ttl=3600, show_spinner=False)
def cached_local_voices(language: str) -> list[dict[str, str]]:
    return local_voices(language)
