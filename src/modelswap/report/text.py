"""Number formatting and metric rows shared by the terminal, Markdown and HTML reports.

What it is: how a rate, an interval or a metric reads to a person, defined once.
What it is not: any layout.
"""

from __future__ import annotations

from modelswap.compare.comparison import Comparison
from modelswap.compare.summary import Metric

DECISION_LABEL = {"go": "GO", "no_go": "NO GO", "inconclusive": "INCONCLUSIVE"}


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def fmt_num(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def fmt_ci(ci: tuple[float, float] | None, *, rate: bool = False) -> str:
    if ci is None:
        return "-"
    if rate:
        return f"{ci[0]:.1%} .. {ci[1]:.1%}"
    return f"{ci[0]:.3g} .. {ci[1]:.3g}"


def metric_rows(report: Comparison) -> list[tuple[str, str, str, str, str, str, str]]:
    """One row per metric: name, baseline, candidate, estimate, interval, noise, p."""
    rows = []
    for metric in report.summary.metrics.values():
        rows.append((metric.name, *_values(metric)))
    return rows


def _values(metric: Metric) -> tuple[str, str, str, str, str, str]:
    rate = metric.kind in ("verdict_rate", "rate")
    value = fmt_rate if rate else fmt_num
    if metric.kind == "verdict_rate":
        estimate = fmt_rate(metric.estimate)
    elif metric.kind == "ratio":
        estimate = f"×{metric.estimate:.3g}" if metric.estimate is not None else "-"
    elif rate:
        estimate = f"{metric.estimate:+.1%}" if metric.estimate is not None else "-"
    else:
        estimate = f"{metric.estimate:+.3g}" if metric.estimate is not None else "-"
    noise = "-" if metric.noise is None else (f"{metric.noise:+.1%}" if metric.kind == "rate" else value(metric.noise))
    return (value(metric.baseline), value(metric.candidate), estimate,
            fmt_ci(metric.ci95, rate=rate) if metric.kind != "ratio" else fmt_ci(metric.ci95), noise,
            fmt_num(metric.p_value))
