"""Progress bars for recording: one line per arm, with its error count.

What it is: the Rich view that ``modelswap record`` and the demo share. What it is not:
recording itself; it only listens to ``record``'s callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from modelswap.types import StoredObservation


class ArmProgress:
    """The callbacks of one arm's progress line."""

    def __init__(self, progress: Progress, arm: str, run: str) -> None:
        self._progress = progress
        self._arm = arm
        self._run = run
        self._errors = self._done = self._total = 0
        self._said = 0
        self._task: TaskID = progress.add_task(arm, total=None, errors=0, status=f"run {run!r}")

    def on_plan(self, total: int, todo: int) -> None:
        resumed = f" (resuming: {total - todo} already stored)" if todo < total else ""
        self._done, self._total = total - todo, total
        self._progress.update(self._task, total=total, completed=total - todo, status=f"run {self._run!r}{resumed}")

    def on_observation(self, stored: StoredObservation) -> None:
        self._errors += stored.observation.error is not None
        self._done += 1
        self._progress.update(self._task, advance=1, errors=self._errors)
        self._say_in_logs()

    def _say_in_logs(self) -> None:
        """Without a terminal the bar is drawn only at the end: print a plain line every tenth instead."""
        console = self._progress.console
        if console.is_terminal or not self._total:
            return
        tenth = self._done * 10 // self._total
        if tenth > self._said:
            self._said = tenth
            console.print(f"{self._arm}: {self._done}/{self._total} ({self._errors} errors), run {self._run!r}",
                          highlight=False)


@contextmanager
def record_progress(console: Console) -> Iterator[Callable[[str, str], ArmProgress]]:
    """A live progress display; call the yielded function with (arm, run) for each arm's line."""
    columns = (TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[errors]} errors"), TimeElapsedColumn(), TimeRemainingColumn(),
               TextColumn("[dim]{task.fields[status]}[/]"))
    with Progress(*columns, console=console) as progress:
        yield lambda arm, run: ArmProgress(progress, arm, run)
