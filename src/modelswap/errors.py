"""The one exception tree of modelswap.

What it is: every error modelswap raises on purpose, each carrying its context.
What it is not: errors of an upstream model call. Those are data (``ErrorInfo`` on an
``Observation``), never exceptions, so a failing arm can be recorded and compared.

::

    ModelswapError
     ├── ConfigError          a bad modelswap.yaml: names the file, line and key
     ├── TrafficError         a bad traffic line: names the file, line and field
     ├── StoreError           the store cannot be opened, migrated or written
     │    └── StoreUnavailable   (modelswap.store) it cannot be reached or written now; retry later
     ├── RolloutError         a rollout transition that is not allowed from the route's state
     ├── PromptError          a prompt with no variant for a model, or variables that do not fit its template
     └── BackendError         an arm cannot be built (missing model file, missing extra)

Each error renders as one line, suitable for a CLI to print as is.
"""

from __future__ import annotations


class ModelswapError(Exception):
    """Base class: ``str(error)`` is one line that names what went wrong and where."""


class ConfigError(ModelswapError):
    """A configuration problem, located by file, line and dotted key."""

    def __init__(self, message: str, *, key: str = "", path: str = "", line: int | None = None) -> None:
        self.key = key
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.path
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        head = ": ".join(part for part in (where, self.key) if part)
        return f"{head}: {self.message}" if head else self.message


class PromptError(ModelswapError):
    """A prompt that cannot serve a model or be rendered: names the prompt and what is missing or unknown."""


class TrafficError(ModelswapError):
    """A traffic line that cannot be read; the line is skipped and counted, never dropped silently."""

    def __init__(self, message: str, *, path: str, line: int, field: str = "") -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = f"{path}:{line}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class StoreError(ModelswapError):
    """The store cannot be opened, migrated or written."""


class RolloutError(ModelswapError):
    """A rollout transition the route's state does not allow (resume when not paused...): names both."""

    def __init__(self, message: str, *, route: str, action: str) -> None:
        self.route = route
        self.action = action
        self.why = message
        super().__init__(f"rollout of route {route!r}: cannot {action}: {message}")


class BackendError(ModelswapError):
    """An arm cannot be built: unknown model, missing weights, missing optional extra."""

    def __init__(self, message: str, *, arm: str) -> None:
        self.arm = arm
        super().__init__(f"arm {arm!r}: {message}")
