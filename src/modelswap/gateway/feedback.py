"""Users' feedback on answers: ``POST /v1/feedback`` read, tied to the request it scores, written behind.

What it is: ``parse_feedback`` (a JSON object with ``request_id``, a non-empty string; ``score``, a
finite number; ``comment``, an optional string; any other field, or a wrong type, is a 400 naming
the field), ``RecentRequests`` (a bounded map of the request ids this process answered lately to
their route, serving arm and trial id, so feedback can say which arm it scores) and
``FeedbackWriter`` (the write-behind queue that stores it, with the same outage handling as
observations: a store that is down delays feedback, it does not refuse it).

What it is not: the endpoint's wiring (``modelswap.gateway.app``) or what the controller makes of
the scores. A request id unknown here (answered by another process, or more than ``capacity``
requests ago) is stored with its route, arm and trial id unknown (NULL).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from modelswap.gateway.wire import ClientError, json_object
from modelswap.store.writer import ITEM_OVERHEAD_BYTES, WriteBehind
from modelswap.types import Feedback

FIELDS = ("request_id", "score", "comment")
MAX_REQUEST_ID_CHARS = 256
MAX_COMMENT_CHARS = 10_000
DEFAULT_CAPACITY = 20_000  # about 10 MB; at 100 requests/s, the last 3 minutes


@dataclass(frozen=True, kw_only=True, slots=True)
class Served:
    """Where one answered request went: its route, the arm that served it and its trial id."""

    route: str
    arm: str
    trial_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Posted:
    """A feedback body as the client sent it, checked."""

    request_id: str
    score: float
    comment: str | None


def parse_feedback(raw: bytes) -> Posted:
    """The checked body of ``POST /v1/feedback``; ``ClientError`` 400 naming the field that is wrong."""
    body = json_object(raw, allowed=FIELDS)
    for name in ("request_id", "score"):
        if name not in body:
            raise ClientError(f"missing required parameter: '{name}'", param=name, code="missing_required_parameter")
    request_id, score, comment = body["request_id"], body["score"], body.get("comment")
    if not isinstance(request_id, str) or not request_id or len(request_id) > MAX_REQUEST_ID_CHARS:
        raise ClientError(f"'request_id' must be a non-empty string of at most {MAX_REQUEST_ID_CHARS} characters "
                          "(the x-request-id of the answer)", param="request_id", code="invalid_type")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise ClientError("'score' must be a number", param="score", code="invalid_type")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
        raise ClientError(f"'comment' must be a string of at most {MAX_COMMENT_CHARS} characters", param="comment",
                          code="invalid_type")
    return Posted(request_id=request_id, score=float(score), comment=comment)


class RecentRequests:
    """The last ``capacity`` request ids this process answered, each with where it went (oldest forgotten first).

    A ring of ids beside a dict: remembering is O(1) and the memory bounded (about 0.5 KB a request).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._served: dict[str, Served] = {}
        self._ring: list[str | None] = [None] * capacity
        self._next = 0

    def remember(self, request_id: str, served: Served) -> None:
        if request_id not in self._served:
            oldest = self._ring[self._next]
            if oldest is not None:
                del self._served[oldest]
            self._ring[self._next] = request_id
            self._next = (self._next + 1) % self.capacity
        self._served[request_id] = served

    def get(self, request_id: str) -> Served | None:
        return self._served.get(request_id)

    def __len__(self) -> int:
        return len(self._served)


class FeedbackWriter(WriteBehind[Feedback]):
    """Feedback to ``Store.save_feedback`` in batches (a batch written twice keeps one row per feedback id)."""

    what = "feedback"

    def _save(self, batch: list[Feedback]) -> None:
        self.store.save_feedback(batch)

    def _size(self, item: Feedback) -> int:
        return ITEM_OVERHEAD_BYTES + len(item.request_id) + len(item.comment or "")

    def _encode(self, item: Feedback) -> bytes:
        return json.dumps(item.to_json(), ensure_ascii=False).encode()

    def _decode(self, line: bytes) -> Feedback:
        data: dict[str, Any] = json.loads(line)
        return Feedback(id=data["id"], request_id=data["request_id"], score=float(data["score"]), at=data["at"],
                        comment=data["comment"], route=data["route"], arm=data["arm"], trial_id=data["trial_id"])

    def _describe(self, item: Feedback) -> str:
        return f"feedback {item.id!r}"
