"""Shadowing in-process, without a gateway: ``modelswap.shadow(client, route=..., config=...)``.

Modules: ``client`` (the wrapper of an OpenAI client), ``primary`` (the primary's observation
from what the client returned), ``engine`` (the gateway's shadow engine calling modelswap
backends) and ``background`` (the thread and event loop the shadows and the store writes run on).
What it is not: ``modelswap.experiment`` (control vs candidate for any function), which shares
``background``.
"""

from __future__ import annotations

from modelswap.inprocess.client import ShadowedClient, shadow

__all__ = ["ShadowedClient", "shadow"]
