"""Admission to an in-process arm: places refused at once when full, serving calls ahead of shadows."""

from __future__ import annotations

import asyncio

import pytest

from modelswap.gateway.admission import Admission, ArmBusy


async def hold(admission: Admission, *, serving: bool, release: asyncio.Event, order: list[str], name: str) -> None:
    async with admission.enter(serving=serving):
        order.append(name)
        await release.wait()


async def test_beyond_the_queue_a_call_is_refused_at_once() -> None:
    admission = Admission("smol", in_flight=1, queue=1)
    release = asyncio.Event()
    order: list[str] = []
    running = asyncio.create_task(hold(admission, serving=True, release=release, order=order, name="a"))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(hold(admission, serving=True, release=release, order=order, name="b"))
    await asyncio.sleep(0)
    with pytest.raises(ArmBusy, match=r"arm 'smol' is at capacity \(1 running, 1 waiting\)"):
        admission.enter(serving=True)
    release.set()
    await asyncio.gather(running, waiting)
    assert order == ["a", "b"] and (admission.running, admission.waiting) == (0, 0)


async def test_shadows_have_a_line_of_their_own_and_serving_calls_go_first() -> None:
    admission = Admission("smol", in_flight=1, queue=2)
    gates = {name: asyncio.Event() for name in "abcde"}
    order: list[str] = []
    tasks = [asyncio.create_task(hold(admission, serving=False, release=gates["a"], order=order, name="a"))]
    await asyncio.sleep(0)
    for name, serving in (("b", False), ("c", False), ("d", True), ("e", True)):
        tasks.append(asyncio.create_task(hold(admission, serving=serving, release=gates[name], order=order,
                                              name=name)))
        await asyncio.sleep(0)
    with pytest.raises(ArmBusy):  # the shadow line is full...
        admission.enter(serving=False)
    with pytest.raises(ArmBusy):  # ...and so is the serving line
        admission.enter(serving=True)
    for gate in gates.values():
        gate.set()
    await asyncio.gather(*tasks)
    assert order == ["a", "d", "e", "b", "c"]


async def test_a_cancelled_wait_gives_its_place_back() -> None:
    admission = Admission("smol", in_flight=1, queue=1)
    release = asyncio.Event()
    order: list[str] = []
    running = asyncio.create_task(hold(admission, serving=True, release=release, order=order, name="a"))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(hold(admission, serving=True, release=release, order=order, name="b"))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert admission.waiting == 0
    again = asyncio.create_task(hold(admission, serving=True, release=release, order=order, name="c"))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(running, again)
    assert order == ["a", "c"] and admission.running == 0


def test_zero_queue_admits_only_a_free_slot() -> None:
    admission = Admission("smol", in_flight=1, queue=0)
    ticket = admission.enter(serving=True)
    assert ticket is not None
    with pytest.raises(ArmBusy):
        admission.enter(serving=False)
