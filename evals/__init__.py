"""Offline quality evaluation: the golden set of course requests and `python -m evals`."""
