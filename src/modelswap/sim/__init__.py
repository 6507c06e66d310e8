"""The simulator arm: a seeded, deterministic model with configurable quirks."""
