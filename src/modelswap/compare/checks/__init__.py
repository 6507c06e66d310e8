"""The comparators. ``default_comparators()`` is the full set in a stable order."""
