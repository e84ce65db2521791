"""Streamlit glue the pages share: state keys, i18n, cached resources, components."""
