"""The report's stable JSON form: one comparison's trials, summary and gate decision.

What it is: ``to_json``, a ``Comparison`` (what compare returns) as the pinned schema ``modelswap.report/v1``
(pinned by src/modelswap/data/report.schema.json; extra fields are allowed, the named ones stay). What it is not: the
renderings for people (``markdown``, ``html``, ``terminal`` beside this module).
"""

from __future__ import annotations

from typing import Any

from modelswap.compare.comparison import Comparison
from modelswap.compare.triage import Triaged
from modelswap.types import PromptUse

SCHEMA = "modelswap.report/v1"


def to_json(comparison: Comparison) -> dict[str, Any]:
    """The ``modelswap.report/v1`` document of ``comparison``; ``judge`` (an extra field) only when a judge ran."""
    document = {
        "schema": SCHEMA,
        "baseline": comparison.baseline,
        "candidate": comparison.candidate,
        "replica": comparison.replica,
        "trials": [_trial(t) for t in comparison.triaged],
        "summary": comparison.summary.to_json(),
        "gate": comparison.gate.to_json(),
        "noise_floor": [
            {"check": r.check, "status": r.status, "behaviour": r.behaviour or None, "category": r.category,
             "min_size": r.min_size, "trials": r.trials, "noise_rate": r.noise_rate,
             "candidate_rate": r.candidate_rate, "excess": r.excess, "ci95": list(r.ci95),
             "p_value": r.p_value, "signal": r.signal, "reverse_rate": r.reverse_rate}
            for r in comparison.noise.rows()],
        "source": comparison.source,
    }
    if comparison.listing is not None:
        document["listed"] = comparison.listing
    return document if comparison.judge is None else {**document, "judge": comparison.judge}


def _trial(t: Triaged) -> dict[str, Any]:
    trial = t.compared.trial
    turn = {} if trial.request.turn is None else {"turn": trial.request.turn.to_json()}
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
        **turn,
        **_prompts(trial.baseline.prompt, trial.candidate.prompt),
    }


def _prompts(baseline: PromptUse | None, candidate: PromptUse | None) -> dict[str, Any]:
    """``baseline_prompt`` and ``candidate_prompt`` (``{"name", "hash", "variant"}``) when the gateway rendered a
    registry prompt for the trial; nothing otherwise."""
    if baseline is None and candidate is None:
        return {}
    return {f"{side}_prompt": None if use is None else {"name": use.name, "hash": use.hash, "variant": use.variant}
            for side, use in (("baseline", baseline), ("candidate", candidate))}
