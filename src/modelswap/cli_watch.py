"""The ``watch`` command: a route's live comparison and gate in the terminal, refreshing.

What it is: reading the route from the configuration (its run is the route's name, the baseline
its primary, the candidate its first candidate unless ``--candidate`` says), an
``IncrementalComparison`` of that run updated every ``--interval`` seconds, and a Rich ``Live``
frame (``modelswap.report.watch``). It continues from the checkpoint ``compare --run ROUTE`` left
with the same settings, and leaves one when stopped, so neither compares a trial twice. ``--once``
prints one frame and, with ``--gate``, exits with the decision's code. What it is not: the
comparison or the frame's layout.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live

from modelswap.cli_compare import (
    CheckpointDirOption,
    SemanticOption,
    checkpoint_directory,
    comparator_factory,
    masked_url,
    semantic_key,
)
from modelswap.compare.comparison import Comparison
from modelswap.compare.digest import Problem
from modelswap.compare.gate import load_policy
from modelswap.compare.incremental import IncrementalComparison, checkpoint_key, checkpoint_path
from modelswap.compare.source import RunNotReady
from modelswap.compare.state import LISTED
from modelswap.config import RouteConfig, load_settings
from modelswap.errors import ModelswapError
from modelswap.report.watch import WatchStatus, status_line, watch_frame
from modelswap.store import open_store

SETTLE_MARGIN_S = 5.0
"""Added to the route's ``shadow.timeout_s``: how long a request's shadows may still be written after it is."""


def register(app: typer.Typer, *, out: Console, err: Console, decision_exit: Any) -> None:
    """Add ``watch`` to ``app``."""

    @app.command("watch")
    def watch_command(
        route: Annotated[str, typer.Argument(help="The route to watch (its name in the configuration).")],
        config: Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store and the "
                                                    "route).")] = None,
        candidate: Annotated[str | None, typer.Option("--candidate", help="Which of the route's candidates "
                                                      "(default: its first).")] = None,
        interval: Annotated[float, typer.Option("--interval", min=0.5, help="Seconds between refreshes.")] = 5.0,
        settle: Annotated[float | None, typer.Option("--settle", min=0, help="Seconds a request lacking a side "
                                                     "may still get it (default: the route's shadow.timeout_s "
                                                     f"+ {SETTLE_MARGIN_S:g}).")] = None,
        gate: Annotated[str | None, typer.Option("--gate", help="Policy YAML ('default' for the shipped one); "
                                                 "with --once, exit 0 go, 1 no_go, 2 inconclusive.")] = None,
        semantic: SemanticOption = None,
        categories: Annotated[int, typer.Option("--categories", min=1, help="Categories shown.")] = 10,
        once: Annotated[bool, typer.Option("--once", help="Print one frame and exit.")] = False,
        checkpoint_dir: CheckpointDirOption = None,
    ) -> None:
        """Watch a route's shadow comparison and its gate live, refreshing (for the rollout's operator)."""
        settings = load_settings(config)
        if route not in settings.routes:
            known = ", ".join(sorted(settings.routes)) or "none"
            raise ModelswapError(f"unknown route {route!r}; the configuration has: {known}")
        arm = _candidate(route, settings.routes[route], candidate)
        primary = settings.routes[route].primary
        settle_s = settle if settle is not None else settings.routes[route].shadow.timeout_s + SETTLE_MARGIN_S
        policy = load_policy(None if gate in (None, "default") else gate)
        key = checkpoint_key(store=masked_url(settings.store), run=route, baseline=primary, candidate=arm,
                             replica="auto", semantic=semantic_key(semantic), listed=LISTED)
        directory = checkpoint_directory(checkpoint_dir)
        path = checkpoint_path(directory, run=route, key=key)
        problems: Counter[str] = Counter()

        def heard(problem: Problem) -> None:
            if problem.kind not in ("no_baseline", "no_candidate", "no_replica"):
                problems[problem.kind] += problem.count

        with open_store(settings.store) as store:
            live = IncrementalComparison(store, url=settings.store, run=route, baseline=primary, candidate=arm,
                                         replica="auto", policy=policy, key=key, name=masked_url(settings.store),
                                         comparators=comparator_factory(semantic, vector_store=settings.store),
                                         settle_s=settle_s, workers=None if semantic is False else 1)
            persistent = settings.store not in ("sqlite://", "sqlite:///:memory:")
            if persistent and live.resume(path) is None:
                err.print(f"continuing from {path}: {live.compared} trial(s) compared before", highlight=False)

            last: list[WatchStatus] = []

            def frame() -> tuple[Any, Comparison | None]:
                waiting = None
                report = None
                try:
                    report = live.update(warn=heard)
                except RunNotReady as exc:
                    waiting = str(exc)
                status = WatchStatus(route=route, baseline=primary, candidate=arm, compared=live.compared,
                                     pending=live.pending, updated_at=time.time(),
                                     interval_s=None if once else interval, problems=dict(problems),
                                     waiting=waiting)
                last[:] = [status]
                return watch_frame(report, status, categories=categories), report

            view: Any = None
            try:
                if once:
                    view, report = frame()
                    out.print(view)
                    if gate is not None:
                        decision_exit(report.gate.exit_code if report is not None else 2)
                    return
                err.print(f"reading run {route!r} so far…", highlight=False)
                view, _ = frame()
                if not out.is_terminal:  # piped or logged: a frame cannot be redrawn, so a line per update that
                    said = None          # changed something, and the whole frame once, at the end
                    while True:
                        now = last[0]
                        if (now.compared, now.pending, now.waiting, now.problems) != said:
                            out.print(status_line(now), soft_wrap=True)
                            said = (now.compared, now.pending, now.waiting, now.problems)
                        time.sleep(interval)
                        view, _ = frame()
                with Live(view, console=out, auto_refresh=False) as display:
                    while True:
                        time.sleep(interval)
                        display.update(frame()[0], refresh=True)
            except KeyboardInterrupt:
                if not out.is_terminal and view is not None:
                    out.print(view)
            finally:
                if persistent and live.compared:
                    live.save(path)


def _candidate(route: str, config: RouteConfig, asked: str | None) -> str:
    if asked is not None:
        if asked not in config.candidates:
            known = ", ".join(config.candidates) or "none"
            raise ModelswapError(f"route {route!r} has no candidate {asked!r}; its candidates: {known}")
        return asked
    if not config.candidates:
        raise ModelswapError(f"route {route!r} has no candidates: nothing shadows its primary {config.primary!r}")
    return config.candidates[0]
