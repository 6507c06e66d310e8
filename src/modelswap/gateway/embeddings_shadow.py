"""The ``/v1/embeddings`` shadow: a route's candidate embedding arm called in the background, its probes kept.

What it is: ``EmbeddingShadow``, one per route with ``routes.NAME.embeddings`` configured, and
``embedding_shadows`` that builds them. After the primary answered a client (the client never
waits for anything here), ``offer`` decides by the request id's hash whether the request is in the
``sample``; a sampled request is sent to the candidate arm on the shadow connection pool, bounded
(at most ``max_in_flight`` at once: beyond that it is dropped and counted, never queued; each call
has ``timeout_s``; a failure is data in the line, never an exception to anyone).

What is kept, one JSONL line per input text in ``probes`` (``embeddings churn --probes FILE``
reads it as probe queries): ``id`` (16 hex digits of the text's SHA-256, so a text asked twice
is one probe), ``text`` (after the configured ``redact`` rules and the arms' secrets, as every
stored text), ``route``, ``request_id``, ``at``, and per arm (``primary``, ``candidate``) its
name, model, HTTP status, dimensions, latency and error. Not the vectors: the churn report embeds
each probe again with each index's own model (the index's fingerprint says which), so the
gateway's vectors would be bulk without use, and vectors of a model other than the index's are
exactly what an index refuses. Inputs given as token arrays have no text to keep; they are
counted (``untexted``) and still shadowed.

What it is not: chat shadows (``shadow.ShadowEngine``), the churn report, or a store table (a
file keeps the probes; see docs/embeddings.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from modelswap.config import EmbeddingsShadowConfig, RouteConfig
from modelswap.gateway.arms import GatewayArm
from modelswap.gateway.wire import ClientError
from modelswap.redact import Redactor

logger = logging.getLogger(__name__)


class EmbeddingShadow:
    """The embeddings shadow of one route; see the module docstring."""

    def __init__(self, *, route: str, config: EmbeddingsShadowConfig, primary: GatewayArm, candidate: GatewayArm,
                 redactor: Redactor) -> None:
        self.route, self.config, self.primary, self.candidate = route, config, primary, candidate
        self.redactor = redactor
        self.path = Path(config.probes)
        self.tasks: set[asyncio.Task[None]] = set()
        self.sampled = self.dropped = self.failed = self.written = self.untexted = 0

    def in_sample(self, request_id: str) -> bool:
        """Whether a request is shadowed: the first 8 bytes of its id's SHA-256 below ``sample`` of their range."""
        digest = hashlib.sha256(request_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") < self.config.sample * 2**64

    def offer(self, body: dict[str, Any], *, request_id: str, status: int, content: bytes, latency_ms: float) -> bool:
        """After the primary answered: start the candidate's call in the background if sampled and there is room."""
        if not self.in_sample(request_id):
            return False
        if len(self.tasks) >= self.config.max_in_flight:
            self.dropped += 1
            return False
        self.sampled += 1
        primary = {"arm": self.primary.name, "model": self.primary.model, "status": status,
                   "dimensions": _dimensions(content), "latency_ms": round(latency_ms, 3), "error": None}
        task = asyncio.get_running_loop().create_task(self._run(body, request_id, primary))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True

    async def _run(self, body: dict[str, Any], request_id: str, primary: dict[str, Any]) -> None:
        started = time.perf_counter()
        status, content, error = 0, b"", None
        try:
            status, _, content = await asyncio.wait_for(
                self.candidate.embeddings(body, authorization=None, pool="shadow"), self.config.timeout_s)
        except TimeoutError:
            error = f"timeout after {self.config.timeout_s} s"
        except ClientError as exc:
            status, error = exc.status, str(exc)
        if error is not None or status != 200:
            self.failed += 1
        candidate = {"arm": self.candidate.name, "model": self.candidate.model, "status": status,
                     "dimensions": _dimensions(content), "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                     "error": error}
        lines = self._lines(body, request_id, primary, candidate)
        if lines:
            await asyncio.to_thread(self._append, lines)

    def _lines(self, body: dict[str, Any], request_id: str, primary: dict[str, Any],
               candidate: dict[str, Any]) -> list[bytes]:
        raw = body.get("input")
        one_tokenized = isinstance(raw, list) and all(isinstance(item, int) for item in raw)
        inputs = raw if isinstance(raw, list) and not one_tokenized else [raw]
        texts = [item for item in inputs if isinstance(item, str)]
        self.untexted += len(inputs) - len(texts)
        at = time.time()
        return [orjson.dumps({"id": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
                              "text": self.redactor.text(text), "route": self.route, "request_id": request_id,
                              "at": at, "primary": primary, "candidate": candidate}) + b"\n" for text in texts]

    def _append(self, lines: list[bytes]) -> None:
        try:
            with self.path.open("ab") as out:
                out.write(b"".join(lines))
            self.written += len(lines)
        except OSError as exc:
            self.failed += 1
            logger.warning("embeddings shadow of route %r: cannot write %s: %s", self.route, self.path, exc)

    async def close(self, *, grace_s: float) -> None:
        """Wait up to ``grace_s`` for the calls running, then cancel the rest."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _dimensions(content: bytes) -> int | None:
    """The length of the first embedding of an OpenAI-shaped answer (None for base64 or anything else)."""
    try:
        data = orjson.loads(content).get("data") or []
        vector = data[0].get("embedding") if data else None
    except (orjson.JSONDecodeError, AttributeError, TypeError, IndexError):
        return None
    return len(vector) if isinstance(vector, list) else None


def embedding_shadows(routes: Mapping[str, RouteConfig], arms: Mapping[str, GatewayArm],
                      redactor: Redactor) -> dict[str, EmbeddingShadow]:
    """An ``EmbeddingShadow`` per route that configures one (the configuration names known arms)."""
    return {name: EmbeddingShadow(route=name, config=route.embeddings, primary=arms[route.primary],
                                  candidate=arms[route.embeddings.candidate], redactor=redactor)
            for name, route in routes.items() if route.embeddings is not None}
