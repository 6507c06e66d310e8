"""What a run stored, printed for a person: counts per arm and trials side by side.

What it is: the terminal view behind ``modelswap show`` and the end of the demo's
recording phase. What it is not: a comparison (that is ``modelswap compare``).
"""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from modelswap.store.base import Store
from modelswap.types import Observation, StoredObservation

_CLIP = 160
_ROLE_ORDER = {"primary": 0, "replica": 1, "candidate": 2}


def render_stored(console: Console, store: Store, *, run: str, examples: int = 5) -> None:
    """Print the counts of ``run`` and ``examples`` trials with every arm's output."""
    counts = store.counts(run)
    if not counts:
        known = ", ".join(store.runs()) or "none"
        console.print(f"run {run!r} has no observations (runs in the store: {known})")
        return
    table = Table(title=f"run {run!r}: observations stored")
    for column in ("arm", "sample", "observations", "errors"):
        table.add_column(column, justify="right" if column != "arm" else "left")
    for count in counts:
        table.add_row(count.arm, str(count.sample), str(count.observations), str(count.errors))
    console.print(table)
    if examples:
        _render_examples(console, store, run=run, examples=examples)


def _render_examples(console: Console, store: Store, *, run: str, examples: int) -> None:
    requests = store.requests(run)
    chosen = _spread(requests, examples)
    by_trial: dict[str, list[StoredObservation]] = defaultdict(list)
    for stored in store.observations(run, trial_ids=[r.id for r in chosen]):
        by_trial[stored.key.trial_id].append(stored)
    for request in chosen:
        table = Table(title=f"{request.id} [{request.category}]", show_lines=True, title_justify="left")
        table.add_column("arm (role)", no_wrap=True)
        table.add_column("output")
        table.add_column("tokens / ms", justify="right", no_wrap=True)
        table.add_row("prompt", Text(_clip(str(request.messages[-1].get("content", "")))), "")
        for stored in sorted(by_trial[request.id], key=lambda s: (_ROLE_ORDER[s.role], s.key.arm, s.key.sample)):
            observation = stored.observation
            table.add_row(f"{stored.key.arm} ({stored.role})", _describe(observation), _numbers(observation))
        console.print(table)


def _spread(items: list, count: int) -> list:  # type: ignore[type-arg]
    """``count`` items spread evenly over ``items`` (so examples cover every category)."""
    if len(items) <= count:
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def _describe(observation: Observation) -> Text:
    if observation.error is not None:
        status = f" {observation.error.status}" if observation.error.status else ""
        return Text(f"error ({observation.error.kind}{status}): {_clip(observation.error.message)}", style="red")
    text = _clip(observation.output or "")
    return Text(text) if text.strip() else Text("(empty)", style="dim")


def _numbers(observation: Observation) -> str:
    tokens = observation.usage.completion_tokens if observation.usage else "-"
    return f"{tokens} / {observation.latency_ms:.0f}"


def _clip(text: str) -> str:
    text = text.replace("\r", "")
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"
