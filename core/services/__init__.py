"""One module per capability; functions take keyword arguments and a session."""
