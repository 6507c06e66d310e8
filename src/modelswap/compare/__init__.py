"""Comparison: what changed between the primary and the candidate, and whether it matters."""
