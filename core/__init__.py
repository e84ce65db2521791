"""Course Studio core: domain, services and gateways. Never imports streamlit."""
