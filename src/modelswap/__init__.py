"""modelswap: swap the LLM under a running product without breaking it."""

from __future__ import annotations

__version__ = "0.1.0"
