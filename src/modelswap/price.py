"""Price of an arm and the cost of one observation.

What it is: per-million-token prices and the arithmetic from usage to ``cost_usd``.
What it is not: budgeting (the gateway's shadow budget uses these numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

from modelswap.types import Usage

_PER = 1_000_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Price:
    """USD per million input (prompt) and output (completion) tokens."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    def cost_usd(self, usage: Usage | None) -> float | None:
        """The cost of one call, or None when the arm reported no usage."""
        if usage is None:
            return None
        return (usage.prompt_tokens * self.input_per_mtok + usage.completion_tokens * self.output_per_mtok) / _PER
