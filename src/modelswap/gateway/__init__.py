"""The OpenAI-compatible shadow gateway (``modelswap serve``).

What it is: an ASGI app (``create_app``) that clients reach by changing only ``base_url``.
The ``model`` field names a route; the route's serving arm answers the client, and in the
background, bounded and sampled, its candidates (and sometimes a replica of the primary) get
the same request. Every outcome is stored as an observation under one trial id.

Modules: ``routing`` (who serves, who shadows: a pure function), ``wire`` (parsing the client's
body, OpenAI-shaped errors), ``upstream`` (re-shaping a request for an arm, connection pools),
``observe`` (turning an upstream answer, streamed or not, into an ``Observation``), ``trials``
(write-behind storage of requests and observations), ``shadow`` (the bounded shadow engine),
``metrics`` (Prometheus) and ``app`` (the endpoints). What it is not: the comparison, which
runs offline on the store (``modelswap compare``).
"""

from __future__ import annotations

from modelswap.gateway.app import create_app

__all__ = ["create_app"]
