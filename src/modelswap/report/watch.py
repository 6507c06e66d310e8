"""What ``modelswap watch`` shows: a route's live comparison and its gate, one frame at a time.

What it is: ``watch_frame``, a Rich renderable built from the latest report of an incremental
comparison (the decision, the gate's checks, the categories most at risk, the metrics) under a
status line (trials compared, requests still waiting for a shadow's answer, problems skipped,
when it was updated). What it is not: the refreshing loop (``modelswap.cli_watch``) or the
comparison (``modelswap.compare.incremental``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from modelswap.compare.comparison import Comparison
from modelswap.report.terminal import category_table, gate_table, headline, metric_table


@dataclass(frozen=True, kw_only=True, slots=True)
class WatchStatus:
    """Where the watch stands, besides the report."""

    route: str
    baseline: str
    candidate: str
    compared: int
    pending: int
    updated_at: float
    interval_s: float | None
    """Seconds between refreshes (None: one frame only)."""
    problems: Mapping[str, int]
    waiting: str | None = None
    """Why there is no report yet (the run has no requests, or no observation of an arm)."""


def status_line(status: WatchStatus) -> Text:
    """One line: the route, its arms, the trials compared, what waits, when, and how to stop."""
    parts = [f"route {status.route}: {status.candidate} shadowing {status.baseline}",
             f"{status.compared:,} trial(s) compared"]
    if status.pending:
        parts.append(f"{status.pending:,} waiting for a shadow's answer")
    skipped = sum(status.problems.values())
    if skipped:
        parts.append(f"{skipped:,} skipped (" + ", ".join(f"{n} {kind.replace('_', ' ')}"
                                                        for kind, n in sorted(status.problems.items())) + ")")
    parts.append("updated " + time.strftime("%H:%M:%S", time.localtime(status.updated_at)))
    if status.interval_s is not None:
        parts.append(f"every {status.interval_s:g} s, Ctrl-C to stop")
    return Text(" · ".join(parts), style="dim")


def watch_frame(report: Comparison | None, status: WatchStatus, *, categories: int = 10) -> RenderableType:
    """The frame for ``report`` (None: nothing compared yet) and ``status``."""
    if report is None:
        reason = status.waiting or "no request has observations of both arms yet"
        return Group(Panel(Text(f"waiting: {reason}"), title=f"modelswap watch {status.route}", expand=False),
                     status_line(status))
    return Group(headline(report, title=f"modelswap watch {status.route}"), status_line(status),
                 gate_table(report.gate), category_table(report, rows=categories), metric_table(report))
