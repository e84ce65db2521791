"""LLM gateway: providers, pricing, validation and remediation."""
