"""modelswap: swap the LLM under a running product without breaking it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modelswap.experiment import Experiment
    from modelswap.inprocess import shadow

__all__ = ["Experiment", "shadow"]


def __getattr__(name: str) -> Any:
    """``shadow`` and ``Experiment`` are imported on first use, so ``import modelswap`` stays light."""
    if name == "shadow":
        from modelswap.inprocess import shadow

        return shadow
    if name == "Experiment":
        from modelswap.experiment import Experiment

        return Experiment
    raise AttributeError(f"module 'modelswap' has no attribute {name!r}")
