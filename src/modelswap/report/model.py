"""The report: one comparison's trials, summary and gate decision, and its stable JSON form.

What it is: ``Report`` and ``to_json`` in the pinned schema ``modelswap.report/v1``
(pinned by src/modelswap/data/report.schema.json; extra fields are allowed, the named ones stay). What it is not: the
renderings for people (``markdown``, ``html``, ``terminal`` beside this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelswap.compare.gate import GateResult
from modelswap.compare.noise import NoiseFloor
from modelswap.compare.summary import Summary
from modelswap.compare.triage import Triaged

SCHEMA = "modelswap.report/v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
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

    def worst(self, limit: int = 10) -> list[Triaged]:
        """The regressions (then novel trials) with the most severe findings first."""
        rank = {"critical": 0, "major": 1, "minor": 2, "info": 3}
        chosen = [t for t in self.triaged if t.verdict in ("regression", "novel")]
        chosen.sort(key=lambda t: (t.verdict != "regression", min((rank[f.severity] for f in t.decisive), default=4),
                                   -len(t.decisive), t.compared.trial.id))
        return chosen[:limit]

    def to_json(self) -> dict[str, Any]:
        """The ``modelswap.report/v1`` document; ``judge`` (an extra field) only when a judge ran."""
        document = {
            "schema": SCHEMA,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "replica": self.replica,
            "trials": [_trial(t) for t in self.triaged],
            "summary": self.summary.to_json(),
            "gate": self.gate.to_json(),
            "noise_floor": [
                {"check": r.check, "status": r.status, "behaviour": r.behaviour or None, "category": r.category,
                 "min_size": r.min_size, "trials": r.trials, "noise_rate": r.noise_rate,
                 "candidate_rate": r.candidate_rate, "excess": r.excess, "ci95": list(r.ci95),
                 "p_value": r.p_value, "signal": r.signal}
                for r in self.noise.rows()],
            "source": self.source,
        }
        return document if self.judge is None else {**document, "judge": self.judge}


def _trial(t: Triaged) -> dict[str, Any]:
    trial = t.compared.trial
    return {
        "id": trial.id,
        "category": trial.category,
        "verdict": t.verdict,
        "findings": [f.to_json() for f in t.compared.findings
                     if f.status != "same" or f.severity != "info" or f.check == "judge"],  # a judge tie cost a call
        "decisive": [f.check for f in t.decisive],
        "within_noise": [{"check": check, "reason": reason} for check, reason in t.within_noise],
        "replica_verdict": t.replica_verdict,
        "baseline_output": trial.baseline.output if trial.baseline.error is None else None,
        "candidate_output": trial.candidate.output if trial.candidate.error is None else None,
        "baseline_error": trial.baseline.error,
        "candidate_error": trial.candidate.error,
    }
