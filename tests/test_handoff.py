"""record --handoff, the library: which arm answers which turn, exactly what each receives, resuming, blocking.

Arms are ``FunctionBackend``\\ s that answer ``"<arm>:<trial id>"`` and keep every request they get,
so each turn's messages can be written out by hand and compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelswap.backends.base import FunctionBackend
from modelswap.handoff import load_conversations, record_handoff, turn_messages
from modelswap.store import open_store
from modelswap.store.base import Store
from modelswap.types import ChatRequest, Turn

DATA = Path(__file__).parent / "data" / "conversations.jsonl"


def u(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def a(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


class Arm:
    """A scripted arm that keeps what it was asked."""

    def __init__(self, name: str, *, fail_on: frozenset[str] = frozenset()) -> None:
        self.received: dict[str, tuple[dict[str, Any], ...]] = {}
        self.fail_on = set(fail_on)
        self.backend = FunctionBackend(self.answer, arm=name)

    def answer(self, request: ChatRequest) -> str:
        self.received[request.id] = request.messages
        if request.id in self.fail_on:
            raise RuntimeError("upstream down")
        return f"{self.backend.arm}:{request.id}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'h.db'}") as opened:
        yield opened


def conversations() -> Any:
    loaded = load_conversations(DATA)
    assert loaded.errors == ()
    return loaded.conversations


async def test_the_primary_answers_every_turn_and_the_candidate_takes_over_after_k(store: Store) -> None:
    primary, candidate = Arm("p"), Arm("c")
    got = await record_handoff(conversations(), primary.backend, store, run="r", role="primary", handoff=2,
                               primary=None, concurrency=3)
    assert (got.planned, got.recorded, got.errors, got.blocked) == (34, 34, 0, 0)
    got = await record_handoff(conversations(), candidate.backend, store, run="r", role="candidate", handoff=2,
                               primary="p", concurrency=3)
    # turns 3 and 4 only: six conversations have 3 turns, four have 4
    assert (got.planned, got.recorded, got.errors, got.blocked) == (14, 14, 0, 0)
    assert sorted(candidate.received) == sorted(
        [f"conv-{i:02d}#t3" for i in range(1, 11)] + ["conv-03#t4", "conv-06#t4", "conv-08#t4", "conv-10#t4"])

    # conv-03: recorded assistant turns are replaced by the arms' answers
    u1, u2 = u("大阪行きの新幹線を予約したいです。"), u("来週の月曜日です。")
    u3, u4 = u("大人二人です。"), u("はい、お願いします。")
    assert primary.received["conv-03#t1"] == (u1,)
    assert primary.received["conv-03#t4"] == (u1, a("p:conv-03#t1"), u2, a("p:conv-03#t2"), u3,
                                               a("p:conv-03#t3"), u4)
    assert candidate.received["conv-03#t3"] == (u1, a("p:conv-03#t1"), u2, a("p:conv-03#t2"), u3)
    assert candidate.received["conv-03#t4"] == (u1, a("p:conv-03#t1"), u2, a("p:conv-03#t2"), u3,
                                                 a("c:conv-03#t3"), u4)
    # conv-10: a system message between turns stays after the answer it follows
    system = {"role": "system", "content": "You are a concise support assistant for a travel booking site."}
    later = {"role": "system", "content": "The user prefers public transport."}
    q = [u("Which airport is closer to the centre of Milan?"), u("How long is the train from there?"),
         u("And how much does it cost?"), u("Can I buy the ticket on board?")]
    assert candidate.received["conv-10#t4"] == (system, q[0], a("p:conv-10#t1"), q[1], a("p:conv-10#t2"), later,
                                                 q[2], a("c:conv-10#t3"), q[3])

    requests = {r.id: r for r in store.requests("r")}
    assert len(requests) == 34
    assert requests["conv-03#t4"].turn == Turn(conversation="conv-03", number=4, turns=4, handoff=2)
    assert requests["conv-03#t4"].messages == primary.received["conv-03#t4"]
    assert requests["conv-03#t4"].category == "support-ja" and requests["conv-03#t4"].expect == {"language": "ja"}
    # waves: every conversation's turn 1, then every turn 2, ... in traffic order
    order = [r.id for r in store.requests("r")]
    assert order[:3] == ["conv-01#t1", "conv-02#t1", "conv-03#t1"] and order[10] == "conv-01#t2"
    by_arm = {(o.key.trial_id, o.key.arm, o.role) for o in store.observations("r")}
    assert ("conv-01#t2", "c", "candidate") not in by_arm and ("conv-01#t3", "c", "candidate") in by_arm
    assert sum(1 for _, arm, _ in by_arm if arm == "p") == 34


async def test_a_rerun_resumes_and_a_failed_turn_blocks_the_rest_of_its_conversation(store: Store) -> None:
    primary = Arm("p", fail_on=frozenset({"conv-06#t2"}))
    got = await record_handoff(conversations(), primary.backend, store, run="r", role="primary", handoff=1,
                               primary=None)
    assert (got.recorded, got.errors, got.blocked) == (32, 1, 2)  # conv-06 turns 3 and 4 not asked
    again = Arm("p")
    got = await record_handoff(conversations(), again.backend, store, run="r", role="primary", handoff=1,
                               primary=None)
    assert (got.recorded, got.already_recorded, got.blocked) == (0, 32, 2) and again.received == {}
    got = await record_handoff(conversations(), again.backend, store, run="r", role="primary", handoff=1,
                               primary=None, retry_errors=True)
    assert (got.recorded, got.errors, got.blocked) == (3, 0, 0)
    assert sorted(again.received) == ["conv-06#t2", "conv-06#t3", "conv-06#t4"]
    assert again.received["conv-06#t3"][-3:] == (u("Now 3 things for a beach trip."), a("p:conv-06#t2"),
                                                 u("And 3 for a business trip."))


async def test_the_candidate_before_the_primary_asks_nothing(store: Store) -> None:
    candidate = Arm("c")
    got = await record_handoff(conversations(), candidate.backend, store, run="r", role="candidate", handoff=1,
                               primary="p")
    assert (got.recorded, got.blocked) == (0, 24) and candidate.received == {}


async def test_k_beyond_every_conversation_leaves_the_candidate_nothing_and_another_k_is_refused(
        store: Store) -> None:
    await record_handoff(conversations(), Arm("p").backend, store, run="r", role="primary", handoff=4,
                         primary=None)
    candidate = Arm("c")
    got = await record_handoff(conversations(), candidate.backend, store, run="r", role="candidate", handoff=4,
                               primary="p")
    assert (got.planned, got.recorded, got.blocked) == (0, 0, 0)
    with pytest.raises(Exception, match=r"run 'r' was recorded with --handoff 4 \(conversation 'conv-01'\)"):
        await record_handoff(conversations(), candidate.backend, store, run="r", role="candidate", handoff=1,
                             primary="p")


def test_bad_conversation_lines_name_the_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        '{"id": "ok", "messages": [{"role": "user", "content": "hi"}]}',
        '{"id": "t", "messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"}]}',
        '{"id": "s", "messages": [{"role": "system", "content": "only instructions"}]}',
        '{"id": "a#t1", "prompt": "hi"}',
        '{"id": "c", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": null, '
        '"tool_calls": [{"id": "1"}]}, {"role": "user", "content": "and?"}]}',
        '{"id": "r", "messages": [{"role": "robot", "content": "hi"}]}',
    ]) + "\n", encoding="utf-8")
    loaded = load_conversations(path)
    assert [c.id for c in loaded.conversations] == ["ok"]
    assert [str(e) for e in loaded.errors] == [
        f"{path}:2: messages[1].role: 'tool' cannot be replayed turn by turn; a conversation for --handoff holds "
        "system, developer, user, assistant messages only",
        f"{path}:3: messages: a conversation needs at least one user message (each user message is a turn)",
        f"{path}:4: id: must not contain '#' with --handoff (a turn's id is '<id>#t<turn>')",
        f"{path}:5: messages[1].tool_calls: tool calls cannot be replayed turn by turn",
        f"{path}:6: messages[0].role: unknown role 'robot'; expected one of system, developer, user, assistant, "
        "tool, function",
    ]


def test_turn_messages_needs_the_answers_before_the_turn() -> None:
    conversation = conversations()[1]
    assert turn_messages(conversation, 2, ["x"])[-2:] == (a("x"), u("It is a folding bike."))
    with pytest.raises(ValueError, match="turn 3 of 3 needs 2 answer"):
        turn_messages(conversation, 3, ["x"])
    with pytest.raises(ValueError, match="turn 4 of 3"):
        turn_messages(conversation, 4, ["x", "y", "z"])
