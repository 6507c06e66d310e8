"""What one comparison concluded: the value ``compare`` returns and every report renders.

What it is: ``Comparison`` (the triaged trials, their summary, the gate's result and the noise
floor, with where the trials came from) and ``worst``, the trials a reader should see first.
``triaged`` holds every trial of an in-memory comparison; a streamed one lists every trial of a
run up to its ``listed`` limit and otherwise only the worst, saying so in ``listing``.
What it is not: any rendering. The report package turns a ``Comparison`` into the pinned JSON
document (``modelswap.report.model.to_json``), Markdown, HTML and the terminal; compare never
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelswap.compare.gate import GateResult
from modelswap.compare.noise import NoiseFloor
from modelswap.compare.summary import Summary
from modelswap.compare.triage import Triaged

SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}


@dataclass(frozen=True, kw_only=True, slots=True)
class Comparison:
    """Everything one comparison concluded."""

    baseline: str
    candidate: str
    replica: str | None
    triaged: tuple[Triaged, ...]
    summary: Summary
    gate: GateResult
    noise: NoiseFloor
    source: dict[str, Any] = field(default_factory=dict)
    judge: dict[str, Any] | None = None
    listing: dict[str, Any] | None = None
    """None when ``triaged`` holds every trial; else how many it holds, of how many, chosen how."""
    distributions: dict[str, tuple[Any, Any]] | None = None
    """With a ``listing``: per figure (``latency_ms``, ``tokens``, ``cost_usd``), both sides' values over every
    trial that recorded both, for the charts that ``triaged`` can no longer draw."""

    def worst(self, limit: int = 10) -> list[Triaged]:
        """The regressions (then novel trials) with the most severe findings first."""
        chosen = [t for t in self.triaged if t.verdict in ("regression", "novel")]
        chosen.sort(key=lambda t: (t.verdict != "regression",
                                   min((SEVERITY_RANK[f.severity] for f in t.decisive), default=4),
                                   -len(t.decisive), t.compared.trial.id))
        return chosen[:limit]
