"""The ``rollout drift`` command: one drift check of a promoted route, now.

What it is: ``modelswap rollout drift ROUTE -c modelswap.yaml [--sample N] [--json]``: asks the
route's serving arm again on a sample of its recorded requests and compares (``modelswap.rollout.drift``),
prints the gate's decision and the worst differences, and exits like ``compare --gate``: 0 go, 1
no_go (a drift: audited as ``drift`` and posted to the alert webhooks, as the controller does), 2
inconclusive. What it is not: the check itself, or the schedule (``rollout control`` runs the same
check every ``drift.every`` for routes with a ``drift:`` block).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console

from modelswap.backends import build_backend
from modelswap.cli_compare import comparator_factory
from modelswap.compare.gate import EXIT_CODES, load_policy
from modelswap.config import RolloutConfig, config_path, load_settings
from modelswap.errors import ConfigError, RolloutError
from modelswap.recording import redactor_for
from modelswap.report.model import to_json
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.control import default_actor
from modelswap.rollout.drift import DriftCheck, check_drift
from modelswap.store import open_store

SCHEMA = "modelswap.rollout-drift/v1"
DEFAULT_SAMPLE = 50


def register_drift(rollout_app: typer.Typer, *, out: Console, err: Console) -> None:
    """Add ``drift`` to the ``rollout`` command group."""

    @rollout_app.command("drift")
    def drift_command(
        route: Annotated[str, typer.Argument(metavar="ROUTE", help="A route whose rollout is promoted.")],
        config: Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store, the arms, "
                                                    "the plan and the alert webhooks).")] = None,
        sample: Annotated[int | None, typer.Option("--sample", min=1, help="Recorded requests to ask again (default: "
                                                   "the plan's drift.sample, else 50).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema modelswap.rollout-drift/v1).")]
            = False,
        gate: Annotated[str | None, typer.Option("--gate", help="Policy YAML ('default': the shipped one; default: "
                                                 "the plan's gate).")] = None,
        actor: Annotated[str | None, typer.Option("--actor", help="Who the audit log names (default: the OS "
                                                  "user).")] = None,
    ) -> None:
        """Check a promoted route for drift: its serving arm asked again, compared with its recorded answers."""
        settings = load_settings(config)
        plan = _plan(settings.routes.get(route), route, config)
        size = sample if sample is not None else plan.drift.sample if plan.drift is not None else DEFAULT_SAMPLE
        policy = load_policy(None if (gate or plan.gate) == "default" else gate or plan.gate)
        alerts = Alerts(settings.alerts.webhooks)
        try:
            with open_store(settings.store) as store:
                state = store.rollout_state(route)
                arm = state.candidate if state is not None else plan.candidate
                if arm not in settings.arms:
                    raise ConfigError(f"arm {arm!r} serves route {route!r} but is not configured", key="arms",
                                      path=str(config_path(config)))
                backend = build_backend(arm, settings.arms[arm])
                check = asyncio.run(_run(check_drift(store, route, plan, backend, sample=size, policy=policy,
                                                     comparators=comparator_factory(False), at=time.time(),
                                                     actor=actor or default_actor(), alerts=alerts,
                                                     redactor=redactor_for(settings)), backend))
        finally:
            alerts.close()
        if as_json:
            out.print(orjson.dumps(drift_json(check)).decode(), markup=False, highlight=False, soft_wrap=True)
        else:
            for line in drift_lines(check):
                out.print(line, markup=False, highlight=False, soft_wrap=True)
        _decision_exit(EXIT_CODES[check.decision])


async def _run(check: Any, backend: Any) -> DriftCheck:
    try:
        result: DriftCheck = await check
        return result
    finally:
        await backend.aclose()


def drift_json(check: DriftCheck) -> dict[str, Any]:
    """The check as JSON: the route, arm, run, decision and reason, the audit entry, and the compare report."""
    return {"schema": SCHEMA, "route": check.route, "arm": check.arm, "run": check.run, "at": check.at,
            "sampled": check.sampled, "decision": check.decision, "reason": check.reason,
            "audit": check.entry.to_json() if check.entry is not None else None,
            "report": to_json(check.comparison) if check.comparison is not None else None}


def drift_lines(check: DriftCheck, *, worst: int = 5) -> list[str]:
    """The decision, then the worst differences (recorded -> today's answer), then where the answers are."""
    lines = [f"{check.route}: {check.decision}: {check.reason}"]
    if check.comparison is not None:
        for triaged in check.comparison.worst(worst):
            for finding in triaged.decisive[:2]:
                lines.append(f"  {triaged.compared.trial.id} {triaged.verdict}: {finding.check} "
                             f"{_short(finding.baseline)} -> {_short(finding.candidate)} ({finding.reason})")
        lines.append(f"answers stored as run {check.run}: modelswap compare --run '{check.run}' "
                     f"--baseline '{check.arm}@recorded' --candidate '{check.arm}' --replica none")
    if check.entry is not None:
        lines.append(f"audited as drift (version {check.entry.version}) and alerted")
    return lines


def _plan(route: Any, name: str, config: Path | None) -> RolloutConfig:
    if route is None or route.rollout is None:
        raise ConfigError(f"route {name!r} has no rollout: block", key=f"routes.{name}.rollout",
                          path=str(config_path(config)))
    plan: RolloutConfig = route.rollout
    return plan


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= limit else text[:limit - 1] + "…"



def _decision_exit(code: int) -> NoReturn:
    from modelswap.cli import DecisionExit  # the entry point turns it into the exit code (2 is not a usage error)

    raise DecisionExit(code)


__all__ = ["RolloutError", "drift_json", "drift_lines", "register_drift"]
