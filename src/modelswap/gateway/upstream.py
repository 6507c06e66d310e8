"""The upstream side: each arm's endpoint, its key, its connection pools and the re-shaped request.

What it is: ``Upstream``, one per configured ``openai`` arm used by a route, holding two pooled
``httpx.AsyncClient``: ``primary`` (serving clients) and ``shadow`` (shadow calls), so a hung
or failing shadow arm can never take the connections the serving path needs. ``reshape`` turns
the client's body into the arm's (its ``model`` id; its ``params`` as defaults the client's
fields override). What it is not: retries (the gateway forwards once; the client's SDK
retries) or the parsing of answers (``modelswap.gateway.observe``).

Secrets: the arm's key comes from the environment variable ``api_key_env`` and is sent only
as ``Authorization``; the client's own ``Authorization`` goes upstream only when the arm sets
``forward_authorization``. ``redact`` removes the key from any text that will be stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from modelswap.backends.openai import _api_key
from modelswap.config import OpenAIArm, Settings
from modelswap.errors import ConfigError
from modelswap.price import Price


class Upstream:
    """One arm's endpoint: URL, headers, price and its two connection pools (``open`` them first)."""

    def __init__(self, name: str, arm: OpenAIArm, *, env: Mapping[str, str], shadow_connections: int) -> None:
        self.name = name
        self.arm = arm
        self.url = f"{arm.base_url}/chat/completions"
        self.embeddings_url = f"{arm.base_url}/embeddings"
        self.price = Price(**arm.price.model_dump())
        self._api_key = _api_key(name, arm, env)
        self._headers = {**arm.headers, "content-type": "application/json"}
        if self._api_key:
            self._headers["authorization"] = f"Bearer {self._api_key}"
        self.shadow_connections = shadow_connections
        self._primary: httpx.AsyncClient | None = None
        self._shadow: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"Upstream(name={self.name!r}, url={self.url!r}, api_key={'set' if self._api_key else 'none'})"

    def open(self) -> None:
        """Open both pools (idempotent)."""
        if self._primary is None:
            limits = httpx.Limits(max_connections=self.arm.max_connections,
                                  max_keepalive_connections=self.arm.max_connections)
            self._primary = httpx.AsyncClient(timeout=httpx.Timeout(self.arm.timeout_s), limits=limits)
        if self._shadow is None:
            limits = httpx.Limits(max_connections=self.shadow_connections,
                                  max_keepalive_connections=self.shadow_connections)
            self._shadow = httpx.AsyncClient(timeout=httpx.Timeout(self.arm.timeout_s), limits=limits)

    async def aclose(self) -> None:
        """Close both pools."""
        for client in (self._primary, self._shadow):
            if client is not None:
                await client.aclose()
        self._primary = self._shadow = None

    @property
    def primary(self) -> httpx.AsyncClient:
        if self._primary is None:
            raise RuntimeError(f"Upstream {self.name!r}: open() was not called")
        return self._primary

    @property
    def shadow(self) -> httpx.AsyncClient:
        if self._shadow is None:
            raise RuntimeError(f"Upstream {self.name!r}: open() was not called")
        return self._shadow

    async def send(self, client: httpx.AsyncClient, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """``client.send``, with anyio's failure on a connection reset while connecting made an ``httpx.ConnectError``.

        (httpcore asks the new stream for its TLS object; if the peer already reset it, anyio's
        socket is gone and ``AttributeError`` escapes instead of a transport error.)
        """
        try:
            return await client.send(request, stream=stream)
        except AttributeError as exc:
            raise httpx.ConnectError(f"connection reset while connecting ({exc})", request=request) from exc

    def reshape(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The client's body for this arm: the arm's params as defaults, its model id."""
        return {**self.arm.params, **body, "model": self.arm.model}

    def payload(self, body: Mapping[str, Any]) -> bytes:
        return orjson.dumps(self.reshape(body))

    def headers(self, client_authorization: str | None) -> dict[str, str]:
        """Headers for one upstream call; the client's Authorization only if the arm forwards it."""
        if self.arm.forward_authorization and client_authorization:
            return {**self._headers, "authorization": client_authorization}
        return self._headers

    @property
    def api_key(self) -> str | None:
        """The arm's upstream key (for redaction; never store or log it)."""
        return self._api_key

    def redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key and self._api_key in text else text


def build_upstreams(settings: Settings, *, env: Mapping[str, str]) -> dict[str, Upstream]:
    """An ``Upstream`` for every arm a route uses; ``ConfigError`` for arms the gateway cannot serve."""
    upstreams: dict[str, Upstream] = {}
    for route_name, route in settings.routes.items():
        if route.primary in route.candidates:
            raise ConfigError(f"the primary {route.primary!r} cannot also be a candidate (its observations would "
                              "share one key); use shadow.replica_rate for a second primary call",
                              key=f"routes.{route_name}.candidates")
        for name in (route.primary, *route.candidates):
            arm = settings.arm(name)
            if not isinstance(arm, OpenAIArm):
                raise ConfigError(f"arm {name!r} has backend {arm.backend!r}; the gateway serves only 'openai' "
                                  "arms so far (run the simulator with `modelswap sim serve`)",
                                  key=f"routes.{route_name}")
            if name not in upstreams:
                upstreams[name] = Upstream(name, arm, env=env, shadow_connections=route.shadow.max_in_flight)
            else:
                current = upstreams[name].shadow_connections
                upstreams[name].shadow_connections = max(current, route.shadow.max_in_flight)
    return upstreams
