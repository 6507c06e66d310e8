"""The terminal report: the decision, the gate checks, the categories at risk, the turns of a handoff run, metrics,
the judge and the worst trials.

What it is: ``render_terminal`` with Rich tables. What it is not: a file format (JSON,
Markdown and HTML live beside it).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from modelswap.compare.comparison import Comparison
from modelswap.compare.gate import GateResult
from modelswap.report.text import DECISION_LABEL, fmt_ci, fmt_num, fmt_rate, metric_rows

_STYLE = {"go": "bold green", "no_go": "bold red", "inconclusive": "bold yellow",
          "pass": "green", "fail": "red", "not_applicable": "dim"}
_CLIP = 200


def render_terminal(console: Console, report: Comparison, *, worst: int = 3) -> None:
    """Print the report."""
    parts = [headline(report, title="modelswap compare"), gate_table(report.gate), category_table(report)]
    if report.summary.turns:
        parts.append(turn_table(report))
    for part in (*parts, metric_table(report)):
        console.print(part)
    if report.judge is not None:
        console.print(Text(judge_line(report.judge)), highlight=False)
    for t in report.worst(worst):
        trial = t.compared.trial
        table = Table(title=f"{t.verdict}: {trial.id} [{trial.category}]", title_justify="left", show_lines=True)
        table.add_column("baseline", ratio=1, overflow="fold")
        table.add_column("candidate", ratio=1, overflow="fold")
        table.add_row(Text(_clip(trial.baseline.output or trial.baseline.error or "")),
                      Text(_clip(trial.candidate.output or trial.candidate.error or "")))
        console.print(table)
        for finding in t.decisive:
            console.print(Text(f"  {finding.check} ({finding.severity}): {finding.reason}", style="dim"))


def headline(report: Comparison, *, title: str) -> Panel:
    """The decision, the trials and their verdicts, and where the noise floor came from."""
    summary, gate = report.summary, report.gate
    noise = (f"noise floor: replica {report.replica} on {summary.replica_trials} trials" if summary.noise_known
             else "noise floor: unknown (no replica recorded; record the primary with --repeat 2)")
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in summary.verdicts.items())
    head = f"  {report.candidate} vs {report.baseline}: {summary.trials} trials ({verdicts})\n"
    return Panel(Text.assemble((DECISION_LABEL[gate.decision], _STYLE[gate.decision]), head, (noise, "dim")),
                 title=title, expand=False)


def category_table(report: Comparison, *, rows: int | None = None) -> Table:
    """The categories, most at risk first (the first ``rows`` of them; None: all)."""
    categories = Table(title="categories, most at risk first", title_justify="left")
    for column in ("category", "trials", "regression", "95% CI", "replica", "novel", "improvement", "Holm p"):
        categories.add_column(column, justify="left" if column == "category" else "right")
    for c in list(report.summary.categories.values())[:rows]:
        categories.add_row(Text(c.name, style="bold red" if c.significant else ""), str(c.trials),
                           fmt_rate(c.regression_rate), fmt_ci(c.ci95, rate=True), fmt_rate(c.noise),
                           str(c.verdicts["novel"]), str(c.verdicts["improvement"]), fmt_num(c.p_adjusted))
    return categories


def turn_table(report: Comparison) -> Table:
    """The turns of conversations replayed by ``record --handoff``, in order: where the candidate starts to break."""
    turns = Table(title="turns (record --handoff), in conversation order", title_justify="left")
    for column in ("turn", "trials", "regression", "95% CI", "replica", "novel", "improvement", "neutral", "Holm p"):
        turns.add_column(column, justify="left" if column == "turn" else "right")
    for t in report.summary.turns.values():
        turns.add_row(Text(t.name, style="bold red" if t.significant else ""), str(t.trials),
                      fmt_rate(t.regression_rate), fmt_ci(t.ci95, rate=True), fmt_rate(t.noise),
                      str(t.verdicts["novel"]), str(t.verdicts["improvement"]), str(t.verdicts["neutral"]),
                      fmt_num(t.p_adjusted))
    return turns


def metric_table(report: Comparison) -> Table:
    """Every metric: both sides, the difference or ratio with its interval, the noise and the p-value."""
    metrics = Table(title="metrics", title_justify="left")
    for column in ("metric", "baseline", "candidate", "diff / ratio", "95% CI", "noise", "p"):
        metrics.add_column(column, justify="left" if column == "metric" else "right")
    for row in metric_rows(report):
        metrics.add_row(*row)
    return metrics


def judge_line(judge: dict[str, Any]) -> str:
    """One line about the judge: what it decided, what it cost, and its agreement with labels when known."""
    winners = judge["winners"]
    line = (f"judge {judge['arm']} ({judge['model']}): {judge['judged']} open trial(s) judged: candidate better "
            f"{winners['candidate']}, baseline better {winners['baseline']}, tie {winners['tie']}, no verdict "
            f"{winners['none']} ({judge['position_disagreements']} position disagreement(s)); {judge['calls']} "
            f"call(s), {judge['cached']} cached, {judge['failed']} failed, {judge['unparseable']} unparseable, "
            f"${judge['cost_usd']:.4f}")
    agreement = judge.get("agreement")
    if agreement and agreement["trials"]:
        line += (f"; agrees with {agreement['agreed']} of {agreement['trials']} labelled trial(s) "
                 f"({agreement['rate']:.0%})")
    return line


def render_gate(console: Console, gate: GateResult) -> None:
    """Print a gate decision and its checks (``modelswap gate``)."""
    console.print(Text(f"decision: {DECISION_LABEL[gate.decision]}", style=_STYLE[gate.decision]))
    console.print(gate_table(gate))


def gate_table(gate: GateResult) -> Table:
    """The gate's checks: outcome, observed value, limit and reason."""
    checks = Table(title="gate", title_justify="left")
    for column in ("check", "outcome", "observed", "limit", "reason"):
        checks.add_column(column, overflow="fold")
    for check in gate.checks:
        checks.add_row(check.name + (" (critical)" if check.critical else ""),
                       Text(check.outcome, style=_STYLE.get(check.outcome, "yellow")),
                       fmt_num(check.observed), fmt_num(check.threshold), Text(check.reason))
    return checks


def _clip(text: str, *, lines: int = 8) -> str:
    kept = [line for line in text.splitlines() if line.strip()][:lines]
    short = "\n".join(kept)
    short = short if len(short) <= _CLIP else short[: _CLIP - 1] + "…"
    return short + ("\n…" if len(kept) < len([line for line in text.splitlines() if line.strip()]) else "")
