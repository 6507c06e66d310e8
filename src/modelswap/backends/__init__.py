"""Backends: what answers a chat request for an arm. ``build_backend`` makes one from its config.

Concrete backends are imported lazily so the core installs light: ``local`` needs the
``[local]`` extra, the others only the core dependencies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from modelswap.backends.base import Backend, FunctionBackend
from modelswap.config import LocalArm, OpenAIArm, SimArm
from modelswap.price import Price

__all__ = ["Backend", "FunctionBackend", "build_backend"]


def build_backend(name: str, arm: OpenAIArm | LocalArm | SimArm, *, env: Mapping[str, str] | None = None) -> Backend:
    """The backend for arm ``name``; secrets are read from ``env`` (default: the process environment)."""
    if isinstance(arm, SimArm):
        from modelswap.backends.sim import SimBackend

        return SimBackend(arm=name, seed=arm.seed, quirks=arm.quirks, model=arm.model,
                          price=Price(**arm.price.model_dump()), timeout_s=arm.timeout_s, params=arm.params)
    if isinstance(arm, OpenAIArm):
        from modelswap.backends.openai import OpenAIBackend

        return OpenAIBackend.from_config(name, arm, env=os.environ if env is None else env)
    from modelswap.backends.local import LocalBackend

    return LocalBackend.from_config(name, arm)
