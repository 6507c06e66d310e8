"""Conversation handoff: multi-turn traffic replayed turn by turn, the primary answering up to turn K.

What it is: reading conversations from traffic (``load_conversations``: a traffic line whose
``messages`` hold one or more user messages; each user message is a turn), building the request
of each turn (``turn_request``: the conversation up to that user message with the answers given
so far in place of any recorded assistant message), and ``record_handoff``, the turn-by-turn
recorder behind ``modelswap record --handoff K``. One stored request per (conversation, turn),
id ``<id>#t<turn>``, carrying a ``Turn`` (conversation, number, turns, handoff K).

- The primary (``primary=None``) answers every turn of its own conversation and saves each turn's
  request as it stood for it: that is the baseline of every turn.
- Any other arm takes over after turn K from the primary named by ``primary``: for turn t > K it
  receives the primary's answers to turns 1..K and its own to turns K+1..t-1. It records only
  turns whose request the primary saved (record the primary first); turns 1..K are never asked of it.

Turns go in waves (turn 1 of every conversation, then turn 2, ...) so positions in the store are in
the same order on every run; a wave's conversations are recorded concurrently through
``record.record_jobs``. Resumable like ``record``: stored answers are read back and reused. A turn
whose history is missing (an earlier answer failed, or the primary has not reached it) is not asked
and counted as ``blocked``; ``--retry-errors`` asks the failed answer again and unblocks what follows.
Samples after the first (``repeat``) answer the same messages as sample 0; only sample 0 carries
the conversation on. What it is not: comparison (compare reads ``Turn`` and reports per turn).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelswap.backends.base import Backend
from modelswap.errors import ModelswapError, TrafficError
from modelswap.record import Progress, RecordResult, plan, record_jobs
from modelswap.recording import Recorder
from modelswap.redact import Redactor
from modelswap.store.base import Store
from modelswap.traffic import parse_line, read_jsonl
from modelswap.types import ChatRequest, Role, StoredObservation, Turn

REPLAYED_ROLES = ("system", "developer", "user", "assistant")


@dataclass(frozen=True, kw_only=True, slots=True)
class Conversation:
    """One multi-turn traffic line: the request as read and where each turn's user message is."""

    request: ChatRequest
    users: tuple[int, ...]
    """The index in ``request.messages`` of each user message: turn n is ``users[n - 1]``."""

    @property
    def id(self) -> str:
        return self.request.id

    @property
    def turns(self) -> int:
        return len(self.users)


@dataclass(frozen=True, kw_only=True, slots=True)
class Conversations:
    """The conversations read from one file, and the lines that could not be read."""

    path: str
    conversations: tuple[Conversation, ...]
    errors: tuple[TrafficError, ...] = field(default=())


def load_conversations(path: str | Path) -> Conversations:
    """Every line of ``path`` as a conversation; bad lines are collected in ``errors`` (file, line and field)."""
    found, errors = read_jsonl(path, parse_conversation)
    return Conversations(path=str(path), conversations=tuple(found), errors=tuple(errors))


def parse_conversation(raw: bytes | str, *, path: str = "<traffic>", line: int = 1) -> Conversation:
    """One traffic line as a conversation, or a ``TrafficError`` naming the field."""
    request = parse_line(raw, path=path, line=line)
    if "#" in request.id:
        raise TrafficError("must not contain '#' with --handoff (a turn's id is '<id>#t<turn>')",
                           path=path, line=line, field="id")
    users = []
    for index, message in enumerate(request.messages):
        role = message["role"]
        if role not in REPLAYED_ROLES:
            raise TrafficError(f"{role!r} cannot be replayed turn by turn; a conversation for --handoff holds "
                               f"{', '.join(REPLAYED_ROLES)} messages only", path=path, line=line,
                               field=f"messages[{index}].role")
        if message.get("tool_calls"):
            raise TrafficError("tool calls cannot be replayed turn by turn", path=path, line=line,
                               field=f"messages[{index}].tool_calls")
        if role == "user":
            users.append(index)
    if not users:
        raise TrafficError("a conversation needs at least one user message (each user message is a turn)",
                           path=path, line=line, field="messages")
    return Conversation(request=request, users=tuple(users))


def turn_messages(conversation: Conversation, number: int, answers: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """The messages of turn ``number``: everything before the first user message as it is, then each turn's
    user message followed by its answer (``answers[i]`` answers turn i + 1) and the turn's other messages
    (system, developer) in order; recorded assistant messages after the first user message are dropped.
    Ends with turn ``number``'s user message."""
    if not 1 <= number <= conversation.turns or len(answers) < number - 1:
        raise ValueError(f"turn {number} of {conversation.turns} needs {number - 1} answer(s), got {len(answers)}")
    messages = conversation.request.messages
    users = conversation.users
    out = list(messages[:users[0]])
    for turn in range(1, number + 1):
        out.append(messages[users[turn - 1]])
        if turn == number:
            break
        out.append({"role": "assistant", "content": answers[turn - 1]})
        end = users[turn]
        out += [m for m in messages[users[turn - 1] + 1:end] if m["role"] != "assistant"]
    return tuple(out)


def turn_id(conversation_id: str, number: int) -> str:
    return f"{conversation_id}#t{number}"


def turn_request(conversation: Conversation, number: int, answers: Sequence[str], *, handoff: int) -> ChatRequest:
    """The request of turn ``number`` with ``answers`` as the answers to the turns before it."""
    request = conversation.request
    return ChatRequest(id=turn_id(request.id, number), messages=turn_messages(conversation, number, answers),
                       params=request.params, category=request.category, expect=request.expect,
                       turn=Turn(conversation=request.id, number=number, turns=conversation.turns, handoff=handoff))


async def record_handoff(conversations: Sequence[Conversation], backend: Backend, store: Store, *, run: str,
                         role: Role, handoff: int, primary: str | None, repeat: int = 1, concurrency: int = 8,
                         retry_errors: bool = False, on_observation: Progress | None = None,
                         on_plan: Callable[[int, int], None] | None = None, redactor: Redactor | None = None
                         ) -> RecordResult:
    """Record ``backend``'s turns of ``conversations`` (see the module docstring); safe to interrupt and rerun.

    ``primary``: None when ``backend`` is the primary (every turn, its own answers); else the primary arm whose
    stored answers to turns 1..``handoff`` the backend takes over from (it answers turns ``handoff`` + 1 on).
    """
    if repeat < 1 or concurrency < 1 or handoff < 0:
        raise ValueError("repeat and concurrency must be at least 1, handoff at least 0")
    started = time.perf_counter()
    recorder = Recorder(store, redactor=(redactor or Redactor()).with_secrets(backend.secrets))
    own = await asyncio.to_thread(_answers, store, run, backend.arm)
    done = await asyncio.to_thread(store.recorded_keys, run, backend.arm, include_errors=not retry_errors)
    saved = await asyncio.to_thread(_saved_turns, store, run, handoff)
    before = own if primary is None else await asyncio.to_thread(_answers, store, run, primary)
    first = 1 if primary is None else handoff + 1
    total = sum(max(c.turns - first + 1, 0) for c in conversations) * repeat
    already = sum(1 for c in conversations for n in range(first, c.turns + 1) for s in range(repeat)
                  if (turn_id(c.id, n), s) in done)
    if on_plan is not None:
        on_plan(total, total - already)
    counts = {"recorded": 0, "errors": 0}
    blocked = 0
    await recorder.start()
    try:
        for number in range(first, max((c.turns for c in conversations), default=0) + 1):
            wave = []
            for conversation in conversations:
                if conversation.turns < number:
                    continue
                answers = [(before if turn <= handoff else own).get(turn_id(conversation.id, turn))
                           for turn in range(1, number)]
                if any(answer is None for answer in answers) or (primary is not None and
                                                                 turn_id(conversation.id, number) not in saved):
                    blocked += repeat
                    continue
                wave.append(turn_request(conversation, number, [a for a in answers if a is not None],
                                         handoff=handoff))
            if primary is None:
                await recorder.save_requests(run, wave)
            todo = plan(wave, repeat=repeat, done=done)

            def heard(stored: StoredObservation) -> None:
                answer = stored.observation
                if stored.key.sample == 0 and answer.error is None and answer.output is not None:
                    own[stored.key.trial_id] = answer.output
                if on_observation is not None:
                    on_observation(stored)

            await record_jobs(todo, backend, recorder, run=run, role=role, concurrency=concurrency, counts=counts,
                              on_observation=heard)
    finally:
        await recorder.close()
    return RecordResult(run=run, arm=backend.arm, planned=total - already, already_recorded=already,
                        recorded=counts["recorded"], errors=counts["errors"], blocked=blocked,
                        elapsed_s=time.perf_counter() - started)


def _answers(store: Store, run: str, arm: str) -> dict[str, str]:
    """The arm's stored answers (sample 0, not errors) by trial id."""
    return {s.key.trial_id: s.observation.output for s in store.observations(run, arm=arm)
            if s.key.sample == 0 and s.observation.error is None and s.observation.output is not None}


def _saved_turns(store: Store, run: str, handoff: int) -> set[str]:
    """The ids of the turns the primary saved in ``run``; refuses a run recorded with another handoff."""
    saved = set()
    for request in store.requests(run):
        if request.turn is None:
            continue
        if request.turn.handoff != handoff:
            raise ModelswapError(f"run {run!r} was recorded with --handoff {request.turn.handoff} (conversation "
                                 f"{request.turn.conversation!r}); record with --handoff {request.turn.handoff} "
                                 "or in another --run")
        saved.add(request.id)
    return saved
