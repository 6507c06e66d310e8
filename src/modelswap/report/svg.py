"""Inline SVG charts for the HTML report: stacked horizontal bars and overlaid histograms.

What it is: small pure functions from numbers to an ``<svg>`` string, every label escaped,
sized by ``viewBox`` so the chart scales with the page, with a ``<title>`` on every mark for
a tooltip and a text alternative. What it is not: the page (``html``) or any statistics
beyond binning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from modelswap.report.text import fmt_num

WIDTH = 960
HIST_WIDTH = 520
_LABEL_W = 170
_ROW_H = 26
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'


@dataclass(frozen=True, kw_only=True, slots=True)
class Series:
    """One named, coloured thing to draw: a segment of every bar, or one side's values."""

    name: str
    colour: str


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[Series], *, title: str) -> str:
    """One bar per row, its counts as shares of the row's total, segments in the order of ``series``."""
    plot_w = WIDTH - _LABEL_W - 50
    top = 34
    height = top + _ROW_H * len(rows) + 8
    parts = [_open(height, title), _legend(series, x=_LABEL_W, y=14)]
    for i, (label, counts) in enumerate(rows):
        y = top + i * _ROW_H
        total = sum(counts)
        parts.append(f'<text x="{_LABEL_W - 8}" y="{y + 16}" text-anchor="end">{escape(_clip(label, 24))}'
                     f"<title>{escape(label)}</title></text>")
        x = float(_LABEL_W)
        for count, s in zip(counts, series, strict=True):
            if not count:
                continue
            w = plot_w * count / total
            tip = f"{label}: {count} {s.name} of {total} ({count / total:.0%})"
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 6}" fill="{s.colour}">'
                         f"<title>{escape(tip)}</title></rect>")
            if w >= 22:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 17}" text-anchor="middle" fill="{_ink(s.colour)}" '
                             f'pointer-events="none">{count}</text>')
            x += w
        parts.append(f'<text x="{_LABEL_W + plot_w + 6}" y="{y + 16}" fill="#57606a">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(sides: Sequence[tuple[Series, Sequence[float]]], *, title: str, unit: str, bins: int = 16) -> str:
    """Each side's values on shared bins, bars grouped side by side per bin, with each side's median marked.

    The range is clipped at the 99th percentile of all values when there are many (so one
    outlier does not flatten the chart); the last bin then also counts everything above it.
    """
    values = np.concatenate([np.asarray(v, dtype=float) for _, v in sides])
    lo = float(values.min())
    hi = float(np.quantile(values, 0.99)) if len(values) >= 100 else float(values.max())
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    edges = np.linspace(lo, hi, bins + 1)
    counts = [np.histogram(np.clip(np.asarray(v, dtype=float), lo, hi), bins=edges)[0] for _, v in sides]
    peak = max(int(c.max()) for c in counts) or 1
    width, left, right, top, plot_h = HIST_WIDTH, 40, 24, 36, 120
    plot_w = width - left - right
    bin_w = plot_w / bins
    bar_w = (bin_w - 2) / len(sides)

    def px(value: float) -> float:
        return left + plot_w * (value - lo) / (hi - lo)

    parts = [_open(top + plot_h + 38, title, width=width), _legend([s for s, _ in sides], x=left, y=14)]
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#8c959f"/>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="#57606a">{peak}</text>'
                 f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" fill="#57606a">0</text>')
    for k, ((s, _), count) in enumerate(zip(sides, counts, strict=True)):
        for i, n in enumerate(count):
            if not n:
                continue
            h = plot_h * int(n) / peak
            tip = f"{s.name}: {int(n)} in {fmt_num(float(edges[i]))}..{fmt_num(float(edges[i + 1]))} {unit}"
            parts.append(f'<rect x="{left + i * bin_w + 1 + k * bar_w:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}" fill="{s.colour}"><title>{escape(tip)}</title></rect>')
    for s, raw in sides:
        median = float(np.median(np.asarray(raw, dtype=float)))
        x = px(min(max(median, lo), hi))
        tip = f"<title>{escape(s.name)} median {escape(fmt_num(median))} {escape(unit)}</title>"
        parts.append(f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#fff" '
                     f'stroke-width="4"/><line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{top + plot_h}" '
                     f'stroke="{s.colour}" stroke-width="2" stroke-dasharray="4 3">{tip}</line>'
                     f'<path d="M{x - 5:.1f} {top - 8}h10l-5 6z" fill="{s.colour}">{tip}</path>')
    for i, value in enumerate(np.linspace(lo, hi, 5)):
        anchor = "start" if i == 0 else ("end" if i == 4 else "middle")
        parts.append(f'<text x="{px(float(value)):.1f}" y="{top + plot_h + 15}" text-anchor="{anchor}" '
                     f'fill="#57606a">{escape(fmt_num(float(value)))}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{top + plot_h + 32}" text-anchor="end" fill="#57606a">'
                 f"{escape(unit)} per task · dashed: median</text></svg>")
    return "".join(parts)


def interval(ci: tuple[float, float], *, estimate: float, reference: float | None, colour: str) -> str:
    """A small 0..1 strip: the 95% interval as a bar, the estimate as a dot, the reference (replica) as a tick."""
    w, h = 120, 14

    def px(v: float) -> float:
        return 2 + (w - 4) * min(max(v, 0.0), 1.0)

    ref = "" if reference is None else (
        f'<line x1="{px(reference):.1f}" y1="1" x2="{px(reference):.1f}" y2="{h - 1}" stroke="#24292f" '
        f'stroke-width="2"/>')
    return (f'<svg class="ci" viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-hidden="true">'
            f'<line x1="2" y1="{h / 2}" x2="{w - 2}" y2="{h / 2}" stroke="#d0d7de"/>'
            f'<rect x="{px(ci[0]):.1f}" y="3" width="{max(px(ci[1]) - px(ci[0]), 1.5):.1f}" height="{h - 6}" '
            f'fill="{colour}" fill-opacity="0.35" rx="2"/>'
            f'<circle cx="{px(estimate):.1f}" cy="{h / 2}" r="3.5" fill="{colour}"/>{ref}</svg>')


def _open(height: int, title: str, *, width: int = WIDTH) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}" '
            f'{_FONT} fill="#24292f"><title>{escape(title)}</title>')


def _legend(series: Sequence[Series], *, x: int, y: int) -> str:
    parts = []
    for s in series:
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{s.colour}" rx="2"/>'
                     f'<text x="{x + 17}" y="{y}">{escape(s.name)}</text>')
        x += 30 + 7 * len(s.name)
    return "".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ink(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (``#rrggbb``)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"
