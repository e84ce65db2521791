"""Text from people and models, made safe for Streamlit's markdown."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str) -> str:
    """Plain text for st.markdown/st.error: user and model text never becomes a link,
    an image, emphasis or math."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
