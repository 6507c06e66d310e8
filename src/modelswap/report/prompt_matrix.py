"""The prompt matrix rendered: a Rich table, Markdown, and one self-contained HTML page.

What it is: the grid (a row per prompt and variant, a column per arm, each cell ``pass`` /
``partial`` / ``fail`` with passed/checked), the worst examples per failing cell, and the history of
prompt versions (which version targeted which model, when, by whom, and each key's status). The
HTML loads nothing from the network and escapes every string from data. What it is not: the
numbers (``modelswap.prompts.matrix``).
"""

from __future__ import annotations

import datetime
from html import escape

from rich.console import Console
from rich.table import Table

from modelswap.prompts.matrix import Cell, Matrix, VersionEntry

STYLE = {"pass": "green", "partial": "yellow", "fail": "red", "unchecked": "dim"}
COLOUR = {"pass": "#009E73", "partial": "#E69F00", "fail": "#D55E00", "unchecked": "#BBBBBB"}
CLIP = 160
LEGEND = ("A cell: the trials without a regression against the primary (noise floor included) and the answers "
          "meeting their contract (expect); its status from the first when the arm is not the primary, else from "
          "the second: pass >= 90%, partial >= 75%, fail below.")


def cell_text(cell: Cell | None) -> str:
    """``pass 11/12 vs smol, contract 3/12`` (trials without a regression against the primary, then answers
    meeting their contract), ``fail contract 2/10`` (the primary's own, or no primary), ``unchecked (8)``, or
    ``-`` for no answers."""
    if cell is None:
        return "-"
    if cell.status == "unchecked":
        return f"unchecked ({cell.answers})"
    contract = f"contract {cell.passed}/{cell.checked}" if cell.checked else ""
    if cell.compared:
        versus = f"{cell.compared - cell.regressions}/{cell.compared} vs {cell.versus}"
        return f"{cell.status} {versus}" + (f", {contract}" if contract else "")
    return f"{cell.status} {contract}"


def _when(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= CLIP else flat[:CLIP - 1] + "…"


def _statuses(entry: VersionEntry) -> str:
    return ", ".join(f"{key}: {status} ({by}, {_when(at)})" for key, status, at, by in entry.statuses) or "-"


def _failing(matrix: Matrix) -> list[Cell]:
    return [matrix.cells[(p, v, a)] for p, v in matrix.rows for a in matrix.arms
            if (p, v, a) in matrix.cells and matrix.cells[(p, v, a)].worst]


def render_matrix_terminal(console: Console, matrix: Matrix) -> None:
    """The grid, the worst examples and the history, as Rich tables."""
    table = Table(title="prompts × models", caption=LEGEND)
    table.add_column("prompt")
    table.add_column("variant")
    for arm in matrix.arms:
        table.add_column(arm)
    for prompt, variant in matrix.rows:
        cells = [matrix.cell(prompt, variant, arm) for arm in matrix.arms]
        table.add_row(prompt, variant, *(f"[{STYLE[c.status]}]{escape_markup(cell_text(c))}[/]" if c else "-"
                                         for c in cells))
    console.print(table)
    for cell in _failing(matrix):
        console.print(f"[bold]{cell.prompt} / {cell.variant} / {cell.arm}[/] worst:", highlight=False)
        for example in cell.worst:
            console.print(f"  {example.trial_id}: {_clip(example.output)!r} — {'; '.join(example.reasons)}",
                          markup=False, highlight=False, soft_wrap=True)
    if matrix.history:
        history = Table(title="prompt versions: which version targeted which model")
        for column in ("prompt", "version", "pushed", "by", "model keys", "changed", "status", "why"):
            history.add_column(column)
        for entry in matrix.history:
            history.add_row(entry.name, entry.hash[:12], _when(entry.created_at), entry.created_by,
                            ", ".join(entry.keys), ", ".join(entry.changed) or "-", _statuses(entry), _why(entry))
        console.print(history)


def escape_markup(text: str) -> str:
    return text.replace("[", "\\[")


def render_matrix_markdown(matrix: Matrix) -> str:
    """The grid, the worst examples and the history in Markdown."""
    lines = ["# Prompts × models", "", LEGEND, "",
             "| prompt | variant | " + " | ".join(matrix.arms) + " |",
             "| --- | --- | " + " | ".join("---" for _ in matrix.arms) + " |"]
    for prompt, variant in matrix.rows:
        lines.append(f"| {prompt} | {variant} | "
                     + " | ".join(cell_text(matrix.cell(prompt, variant, arm)) for arm in matrix.arms) + " |")
    failing = _failing(matrix)
    if failing:
        lines += ["", "## Worst examples", ""]
        for cell in failing:
            for example in cell.worst:
                reasons = "; ".join(example.reasons).replace("|", "\\|")
                output = _clip(example.output).replace("`", "'")
                lines.append(f"- **{cell.prompt} / {cell.variant} / {cell.arm}** `{example.trial_id}`: "
                             f"`{output}` — {reasons}")
    if matrix.history:
        lines += ["", "## History", "", "| prompt | version | pushed | by | model keys | changed | status | why |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for entry in matrix.history:
            lines.append(f"| {entry.name} | `{entry.hash[:12]}` | {_when(entry.created_at)} | {entry.created_by} | "
                         f"{', '.join(entry.keys)} | {', '.join(entry.changed) or '-'} | {_statuses(entry)} | "
                         f"{_why(entry).replace('|', '/')} |")
    return "\n".join(lines) + "\n"


_CSS = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f4f4f4}"
        "td.cell{color:#fff;font-weight:600}code{font-size:.9em}")


def render_matrix_html(matrix: Matrix) -> str:
    """One self-contained page: no script, no network."""
    head = "".join(f"<th>{escape(arm)}</th>" for arm in matrix.arms)
    rows = []
    for prompt, variant in matrix.rows:
        cells = []
        for arm in matrix.arms:
            cell = matrix.cell(prompt, variant, arm)
            colour = COLOUR[cell.status] if cell else "#FFFFFF"
            cells.append(f'<td class="cell" style="background:{colour}">{escape(cell_text(cell))}</td>')
        rows.append(f"<tr><td>{escape(prompt)}</td><td>{escape(variant)}</td>{''.join(cells)}</tr>")
    body = [f"<h1>Prompts × models</h1><p>{escape(LEGEND)}</p>"
            f"<table><tr><th>prompt</th><th>variant</th>{head}</tr>{''.join(rows)}</table>"]
    failing = _failing(matrix)
    if failing:
        items = "".join(f"<li><b>{escape(c.prompt)} / {escape(c.variant)} / {escape(c.arm)}</b> "
                        f"<code>{escape(e.trial_id)}</code>: <code>{escape(_clip(e.output))}</code> — "
                        f"{escape('; '.join(e.reasons))}</li>" for c in failing for e in c.worst)
        body.append(f"<h2>Worst examples</h2><ul>{items}</ul>")
    if matrix.history:
        entries = "".join(f"<tr><td>{escape(e.name)}</td><td><code>{e.hash[:12]}</code></td>"
                          f"<td>{_when(e.created_at)}</td><td>{escape(e.created_by)}</td>"
                          f"<td>{escape(', '.join(e.keys))}</td><td>{escape(', '.join(e.changed) or '-')}</td>"
                          f"<td>{escape(_statuses(e))}</td><td>{escape(_why(e))}</td></tr>" for e in matrix.history)
        body.append("<h2>History</h2><table><tr><th>prompt</th><th>version</th><th>pushed</th><th>by</th>"
                    f"<th>model keys</th><th>changed</th><th>status</th><th>why</th></tr>{entries}</table>")
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>modelswap prompt matrix</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _why(entry: VersionEntry) -> str:
    """Each changed key's reason (its variant's ``why``), or "-"."""
    return "; ".join(f"{key}: {why}" for key, why in entry.why) or "-"
