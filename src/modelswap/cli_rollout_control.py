"""The ``rollout control`` command: the automatic controller, running beside the gateways.

What it is: the loop around ``modelswap.rollout.live.LiveController``: every ``--interval``
seconds it decides every running rollout of the configuration from the live figures the gateways
stored (advance, promote, pause, roll back, breached guard), writes and alerts each decision, and
prints one line per route and look; ``--once`` looks once (for cron or a test). Run one per store.
Promoted routes with a ``drift:`` block are checked for drift every ``drift.every`` in the same loop
(``modelswap.rollout.drift``), one line per check.
What it is not: the rules (``modelswap.rollout.controller``) or the reading of figures
(``modelswap.rollout.live``).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from modelswap.cli_compare import comparator_factory
from modelswap.compare.gate import load_policy
from modelswap.config import config_path, load_settings
from modelswap.errors import ConfigError
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.live import SETTLE_S, LiveController, Tick
from modelswap.store import open_store


def register_control(rollout_app: typer.Typer, *, out: Console, err: Console) -> None:
    """Add ``control`` to the ``rollout`` command group."""

    @rollout_app.command("control")
    def control_command(
        config: Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store, the plans "
                                                    "and the alert webhooks).")] = None,
        interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between looks.")] = 5.0,
        once: Annotated[bool, typer.Option("--once", help="Look once and exit.")] = False,
        gate: Annotated[str | None, typer.Option("--gate", help="Policy YAML for the shadow comparison "
                                                 "('default': the shipped one).")] = None,
        semantic: Annotated[bool, typer.Option("--semantic/--no-semantic", help="Semantic similarity in the "
                                               "shadow comparison (off by default: it must keep up).")] = False,
        settle: Annotated[float, typer.Option("--settle", min=0, help="Seconds a request waits before it counts "
                                              "(its serving answer is written just after it).")] = SETTLE_S,
        actor: Annotated[str, typer.Option("--actor", help="Who the audit log names.")] = "controller",
    ) -> None:
        """Run the automatic controller: decide every running rollout from live figures, on a timer."""
        settings = load_settings(config)
        if not any(route.rollout is not None for route in settings.routes.values()):
            raise ConfigError("no route has a rollout: block, so there is nothing to control "
                              "(docs/rollout.md#configuration)", key="routes", path=str(config_path(config)))
        alerts = Alerts(settings.alerts.webhooks)
        try:
            with open_store(settings.store) as store:
                live = LiveController(store, settings, url=settings.store,
                                      policy=load_policy(None if gate in (None, "default") else gate),
                                      comparators=comparator_factory(semantic, vector_store=settings.store),
                                      alerts=alerts, actor=actor, settle_s=settle)
                err.print(f"controlling {', '.join(sorted(live.routes()))} every {interval:g} s "
                          f"({'once' if once else 'Ctrl-C to stop'})", highlight=False)
                while True:
                    for tick in live.tick():
                        out.print(tick_line(tick), markup=False, highlight=False, soft_wrap=True)
                    if once:
                        return
                    time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            alerts.close()


def tick_line(tick: Tick) -> str:
    """One line: when, the route, what each arm served at this stage, and the decision or ``watching``."""
    figures = tick.figures
    if tick.drift is not None:
        alerted = f" (audited as drift, version {tick.entry.version}, and alerted)" if tick.entry is not None else ""
        return (f"{datetime.now().strftime('%H:%M:%S')} {tick.route}: drift check of {tick.drift.arm} "
                f"(run {tick.drift.run}): {tick.drift.reason}{alerted}")
    head = (f"{datetime.now().strftime('%H:%M:%S')} {tick.route}: {figures.candidate_arm} "
            f"{figures.candidate.requests} served ({figures.candidate.errors} errors), {figures.primary_arm} "
            f"{figures.primary.requests} ({figures.primary.errors} errors)")
    if tick.decision is None:
        return f"{head}: watching"
    return f"{head}: {tick.decision.action}: {tick.decision.reason}"
