"""The upstream side: each arm's endpoint, its key, its connection pools and the re-shaped request.

What it is: ``Upstream``, one per configured ``openai`` arm used by a route, holding two pooled
aiohttp sessions: ``primary`` (serving clients) and ``shadow`` (shadow calls), so a hung or
failing shadow arm can never take the connections the serving path needs. ``post`` sends one
body and returns an ``Answer`` as soon as the status line and headers arrived; every failure
to get an HTTP answer (refused, reset, timed out, garbage on the wire) is an ``UpstreamError``
whose ``kind`` is ``timeout`` or ``connection``, so callers never see the HTTP library's
exceptions. ``prepare`` turns the client's body into the arm's (its ``model`` id; its
``params`` as defaults the client's fields override). What it is not: retries (the gateway
forwards once; the client's SDK retries) or the parsing of answers (``modelswap.gateway.observe``).

Why aiohttp and not httpx (which the ``openai`` arm of ``record`` uses): on this path the HTTP
client is most of the gateway's cost. Measured side by side against the benchmark's mock, one
request at a time: httpx 1.77 ms of CPU per request, aiohttp 0.26 ms (docs/benchmarks.md).

Timeouts: the arm's ``timeout_s`` bounds connecting (waiting for a pooled connection included)
and each read, as httpx did, not the whole answer: a long stream that keeps sending is not
cut. Bodies are decompressed (the client gets plain bytes and no ``content-encoding``).

Proxies: ``HTTP_PROXY``/``HTTPS_PROXY`` (or lower case) and ``NO_PROXY`` of the environment
given to ``build_upstreams`` are honoured, as httpx and the ``openai`` SDK do; they are read once,
when the upstream is built, not on every call.

Secrets: the arm's key comes from the environment variable ``api_key_env`` and is sent only
as ``Authorization``; the client's own ``Authorization`` goes upstream only when the arm sets
``forward_authorization``. ``redact`` removes the key from any text that will be stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

import aiohttp
import orjson
from yarl import URL

from modelswap.backends.openai import _api_key
from modelswap.config import OpenAIArm, Settings
from modelswap.errors import ConfigError
from modelswap.gateway.trials import NOT_PARAMS
from modelswap.price import Price

Pool = Literal["primary", "shadow"]


class UpstreamError(Exception):
    """No HTTP answer from an arm: ``kind`` is ``timeout`` or ``connection``; ``str()`` says what happened."""

    def __init__(self, kind: Literal["timeout", "connection"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _failure(exc: BaseException, *, doing: str) -> UpstreamError:
    if isinstance(exc, TimeoutError):
        return UpstreamError("timeout", f"timed out {doing} ({type(exc).__name__})")
    detail = str(exc) or type(exc).__name__
    return UpstreamError("connection", f"{type(exc).__name__} {doing}: {detail}")


_CALL_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


class Answer:
    """An upstream's HTTP answer whose body is still to be read: ``read`` it whole, or take its ``chunks`` and
    ``release`` it after."""

    __slots__ = ("_response", "content_type", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.content_type = response.headers.get("content-type", "application/json")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    async def read(self) -> bytes:
        """The whole body, then the connection goes back to the pool; ``UpstreamError`` if it fails while reading."""
        try:
            return await self._response.read()
        except _CALL_ERRORS as exc:
            raise _failure(exc, doing="while reading the body") from None
        finally:
            self.release()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive; ``UpstreamError`` if the connection fails midway."""
        content = self._response.content
        while True:
            try:
                chunk = await content.readany()
            except _CALL_ERRORS as exc:
                raise _failure(exc, doing="mid-stream") from None
            if not chunk:
                return
            yield chunk

    def release(self) -> None:
        """Give the connection back to the pool (closed instead if the body was not read to the end)."""
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class Upstream:
    """One arm's endpoint: URL, headers, price and its two connection pools (``open`` them first)."""

    def __init__(self, name: str, arm: OpenAIArm, *, env: Mapping[str, str], shadow_connections: int) -> None:
        self.name = name
        self.arm = arm
        self.url = URL(f"{arm.base_url}/chat/completions")  # parsed once, not on every call
        self.embeddings_url = URL(f"{arm.base_url}/embeddings")
        self.price = Price(**arm.price.model_dump())
        self._api_key = _api_key(name, arm, env)
        self._headers = {**arm.headers, "content-type": "application/json"}
        if self._api_key:
            self._headers["authorization"] = f"Bearer {self._api_key}"
        self.shadow_connections = shadow_connections
        self.proxy = env_proxy(self.url, env)
        self._sessions: dict[Pool, aiohttp.ClientSession] = {}

    def __repr__(self) -> str:
        return f"Upstream(name={self.name!r}, url={str(self.url)!r}, api_key={'set' if self._api_key else 'none'})"

    def open(self) -> None:
        """Open both pools (idempotent); call on the event loop that will use them."""
        sizes: dict[Pool, int] = {"primary": self.arm.max_connections, "shadow": self.shadow_connections}
        for pool, size in sizes.items():
            if pool not in self._sessions:
                timeout = aiohttp.ClientTimeout(total=None, connect=self.arm.timeout_s,
                                                sock_read=self.arm.timeout_s)
                self._sessions[pool] = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=size, limit_per_host=0), timeout=timeout,
                    cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, raise_for_status=False)

    async def aclose(self) -> None:
        """Close both pools."""
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            await session.close()

    async def post(self, pool: Pool, url: URL, payload: bytes, headers: Mapping[str, str]) -> Answer:
        """POST ``payload`` on ``pool``; the ``Answer`` once its head arrived, else ``UpstreamError``."""
        session = self._sessions.get(pool)
        if session is None:
            raise RuntimeError(f"Upstream {self.name!r}: open() was not called")
        try:
            response = await session.post(url, data=payload, headers=headers, allow_redirects=False,
                                          proxy=self.proxy)
        except _CALL_ERRORS as exc:
            raise _failure(exc, doing=f"calling {self.name!r}") from None
        return Answer(response)

    def prepare(self, body: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """The client's body for this arm (its params as defaults, its model id), as bytes to send,
        and the params stored with the observation (all but the model, the messages and streaming)."""
        reshaped = {**self.arm.params, **body, "model": self.arm.model}
        return orjson.dumps(reshaped), {k: v for k, v in reshaped.items() if k not in NOT_PARAMS}

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


def env_proxy(url: URL, env: Mapping[str, str]) -> str | None:
    """The proxy ``env`` asks for to reach ``url`` (``{scheme}_proxy``, lower case first; ``no_proxy`` bypasses)."""
    scheme = url.scheme.lower()
    proxy = env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY")
    if not proxy:
        return None
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
    host = (url.host or "").lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        name, _, port = entry.partition(":")
        name = name.removeprefix("*").removeprefix(".")
        if entry == "*" or (name and (host == name or host.endswith(f".{name}"))
                            and (not port or port == str(url.port))):
            return None
    return proxy


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
