"""The Markdown report, for a pull-request comment.

What it is: ``render_markdown``: the decision and every gate check first, then the
categories ranked by regression rate, the turns of a ``record --handoff`` run in order, the key
metrics, and the worst regressions side by side.
What it is not: the full trial list (that is in the JSON and HTML reports).
"""

from __future__ import annotations

from modelswap.compare.comparison import Comparison
from modelswap.report.text import DECISION_LABEL, fmt_ci, fmt_num, fmt_rate, metric_rows

_CLIP = 300


def render_markdown(report: Comparison, *, worst: int = 5) -> str:
    """The report as GitHub-flavoured Markdown."""
    gate, summary = report.gate, report.summary
    lines = [f"## modelswap: {DECISION_LABEL[gate.decision]}",
             "",
             f"Candidate **{report.candidate}** vs baseline **{report.baseline}** on {summary.trials} trials; "
             + (f"noise floor from replica **{report.replica}** ({summary.replica_trials} trials)."
                if summary.noise_known else "noise floor **unknown** (no replica recorded)."),
             "",
             "| verdict | trials |", "| --- | ---: |"]
    lines += [f"| {verdict} | {count} |" for verdict, count in summary.verdicts.items()]
    lines += ["", "### Gate", "", "| check | outcome | observed | threshold | reason |",
              "| --- | --- | ---: | ---: | --- |"]
    for check in gate.checks:
        critical = " (critical)" if check.critical else ""
        lines.append(f"| {_cell(check.name)}{critical} | {check.outcome} | {fmt_num(check.observed)} | "
                     f"{fmt_num(check.threshold)} | {_cell(check.reason)} |")
    lines += ["", "### Categories (most at risk first)", "",
              "| category | trials | regression rate | 95% CI | replica | Holm p |",
              "| --- | ---: | ---: | --- | ---: | ---: |"]
    for c in summary.categories.values():
        lines.append(f"| {_cell(c.name)} | {c.trials} | {fmt_rate(c.regression_rate)} | {fmt_ci(c.ci95, rate=True)} | "
                     f"{fmt_rate(c.noise)} | {fmt_num(c.p_adjusted)} |")
    if summary.turns:
        lines += ["", "### Turns (record --handoff), in conversation order", "",
                  "| turn | trials | regression rate | 95% CI | replica | novel | improvement | neutral | Holm p |",
                  "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
        lines += [f"| {t.name} | {t.trials} | {fmt_rate(t.regression_rate)} | {fmt_ci(t.ci95, rate=True)} | "
                  f"{fmt_rate(t.noise)} | {t.verdicts['novel']} | {t.verdicts['improvement']} | "
                  f"{t.verdicts['neutral']} | {fmt_num(t.p_adjusted)} |" for t in summary.turns.values()]
    lines += ["", "### Metrics", "", "| metric | baseline | candidate | difference / ratio | 95% CI | noise | p |",
              "| --- | ---: | ---: | ---: | --- | ---: | ---: |"]
    lines += [f"| {' | '.join(_cell(cell) for cell in row)} |" for row in metric_rows(report)]
    chosen = report.worst(worst)
    if chosen:
        lines += ["", f"### Worst {len(chosen)} trials", ""]
        for t in chosen:
            trial = t.compared.trial
            reasons = "; ".join(f"`{f.check}`: {f.reason}" for f in t.decisive)
            lines += [f"**{trial.id}** [{trial.category}] {t.verdict}: {_cell(reasons)}", "",
                      "| baseline | candidate |", "| --- | --- |",
                      f"| {_cell(_clip(trial.baseline.output or trial.baseline.error or ''))} | "
                      f"{_cell(_clip(trial.candidate.output or trial.candidate.error or ''))} |", ""]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"
