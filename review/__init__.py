"""District peer review: the domain core (no user interface here)."""
