"""Shadowing in-process, without a gateway: ``modelswap.shadow(client, route=..., config=...)``.

Modules: ``client`` (the wrapper of an OpenAI client), ``primary`` (the primary's observation
from what the client returned) and ``background`` (the thread and event loop the shadows and the
store writes run on). The shadows go through the gateway's arms and shadow engine
(``modelswap.gateway.arms``, ``modelswap.gateway.shadow``). What it is not:
``modelswap.experiment`` (control vs candidate for any function), which shares ``background``.
"""

from __future__ import annotations

from modelswap.inprocess.client import ShadowedClient, shadow

__all__ = ["ShadowedClient", "shadow"]
