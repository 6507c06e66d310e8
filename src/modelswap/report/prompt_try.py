"""``prompts try``'s ranking rendered: a Rich table, Markdown and a JSON document.

What it is: per category, each variant's regression rate against the primary (its 95% interval and
the replica's rate, the noise floor), its verdict counts and its gate decision, best first, as
``prompts try`` ranked them. What it is not: the ranking (``modelswap.prompts.tryout``).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from modelswap.prompts.tryout import Score
from modelswap.report.text import fmt_ci, fmt_rate

TRY_SCHEMA = "modelswap.prompts-try/v1"


def _noise(row: Score) -> str:
    return "-" if row.noise is None else fmt_rate(row.noise)


def render_try_terminal(console: Console, ranked: dict[str, list[Score]], *, primary: str, candidate: str) -> None:
    """One table: every category's variants, best first."""
    table = Table(title=f"prompt variants on {candidate}, against {primary}'s answers (best first per category)")
    for column in ("category", "#", "variant", "trials", "regression rate", "95% CI", "replica", "gate"):
        table.add_column(column, justify="right" if column in ("#", "trials") else "left")
    for category, rows in ranked.items():
        for i, row in enumerate(rows, start=1):
            table.add_row(category if i == 1 else "", str(i), row.variant, str(row.trials),
                          fmt_rate(row.regression_rate), fmt_ci(row.ci95, rate=True), _noise(row), row.decision)
        table.add_section()
    console.print(table)


def render_try_markdown(ranked: dict[str, list[Score]], *, primary: str, candidate: str) -> str:
    """The same table in Markdown."""
    lines = [f"# Prompt variants on {candidate}, against {primary}'s answers", "",
             "| category | # | variant | trials | regression rate | 95% CI | replica | gate |",
             "| --- | ---: | --- | ---: | ---: | --- | ---: | --- |"]
    for category, rows in ranked.items():
        for i, row in enumerate(rows, start=1):
            lines.append(f"| {category} | {i} | {row.variant} | {row.trials} | {fmt_rate(row.regression_rate)} | "
                         f"{fmt_ci(row.ci95, rate=True)} | {_noise(row)} | {row.decision} |")
    return "\n".join(lines) + "\n"


def try_json(ranked: dict[str, list[Score]], *, primary: str, candidate: str) -> dict[str, Any]:
    """The ranking as a JSON document (``modelswap.prompts-try/v1``)."""
    return {"schema": TRY_SCHEMA, "primary": primary, "candidate": candidate,
            "categories": {category: [row.to_json() for row in rows] for category, rows in ranked.items()}}
