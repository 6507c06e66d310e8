"""The OpenAI-compatible shadow gateway (``modelswap serve``).

What it is: an ASGI app (``create_app``) that clients reach by changing only ``base_url``.
The ``model`` field names a route; the route's serving arm answers the client, and in the
background, bounded and sampled, its candidates (and sometimes a replica of the primary) get
the same request. Every arm works here whatever its backend (``openai``, ``local``, ``sim``).
Every outcome is stored as an observation under one trial id.

Modules: ``routing`` (who serves, who shadows: a pure function, of the rollout state too),
``rollouts`` (the rollout states a process obeys, reread in the background), ``admin`` (the admin
API), ``feedback`` (``POST /v1/feedback``), ``wire`` (parsing the client's
body, OpenAI-shaped errors), ``trials`` (one request on its way), ``arms`` (every arm as the
gateway calls it: an HTTP endpoint relayed, any other backend rendered), ``admission`` (the
bounded queue of an arm that computes in this process), ``shadow`` (the bounded shadow engine,
also used in-process), ``metrics`` (Prometheus) and ``app`` (the endpoints). What it is not: the
wire format (``modelswap.openai_wire``), the storage (``modelswap.recording``) or the
comparison, which runs offline on the store (``modelswap compare``).
"""

from __future__ import annotations

from modelswap.gateway.app import create_app

__all__ = ["create_app"]
