"""Admission to an arm that computes in this process: bounded concurrency, a bounded queue, serving first.

What it is: ``Admission``, the bound the gateway puts on an arm whose backend declares a
``capacity`` (a local model runs one call at a time). ``enter`` decides at once, without
waiting: it reserves a place (running, or waiting in line) or raises ``ArmBusy``; the ticket it
returns is then used as ``async with ticket:`` to wait for a slot and release it after. Serving
calls and shadow calls wait in separate lines of ``queue`` places each, and a freed slot goes to a
waiting serving call first, so shadows can neither take the client's places in line nor overtake
a client. A call already running is never preempted: a client may wait for one shadow generation.

What it is not: the per-route shadow lanes (``modelswap.gateway.shadow``), which bound a route's
shadows whatever their arms, nor the threads the backend runs on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import suppress
from types import TracebackType


class ArmBusy(Exception):
    """The arm has no place left: ``running`` calls and a full line of ``waiting`` ones."""

    def __init__(self, arm: str, *, running: int, waiting: int) -> None:
        super().__init__(f"arm {arm!r} is at capacity ({running} running, {waiting} waiting)")
        self.arm = arm


class Admission:
    """At most ``in_flight`` calls of arm ``arm`` at once, ``queue`` serving and ``queue`` shadow calls waiting."""

    def __init__(self, arm: str, *, in_flight: int, queue: int) -> None:
        if in_flight < 1 or queue < 0:
            raise ValueError("in_flight must be at least 1 and queue at least 0")
        self.arm = arm
        self.in_flight = in_flight
        self.queue = queue
        self.running = 0
        self._lines: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}
        self._reserved = {True: 0, False: 0}  # entered, not yet running (waiting or about to)

    @property
    def waiting(self) -> int:
        return self._reserved[True] + self._reserved[False]

    def enter(self, *, serving: bool) -> Ticket:
        """A place for one call, or ``ArmBusy`` when its line is full; never waits."""
        if self._reserved[serving] >= self.queue and not self._free_now(serving):
            raise ArmBusy(self.arm, running=self.running, waiting=self.waiting)
        self._reserved[serving] += 1
        return Ticket(self, serving=serving)

    def _free_now(self, serving: bool) -> bool:
        """A slot is free for this line without overtaking anyone waiting ahead of it."""
        ahead = self._reserved[True] + (0 if serving else self._reserved[False])
        return self.running + ahead < self.in_flight

    async def _acquire(self, serving: bool) -> None:
        if self.running < self.in_flight and not self._lines[True] and (serving or not self._lines[False]):
            self._reserved[serving] -= 1
            self.running += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._lines[serving].append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # the slot was handed over just as the wait was cancelled: pass it on
            else:
                with suppress(ValueError):  # a release may have passed over it already
                    self._lines[serving].remove(future)
                self._reserved[serving] -= 1
            raise

    def _release(self) -> None:
        for line in (True, False):
            while self._lines[line]:
                future = self._lines[line].popleft()
                if not future.done():
                    self._reserved[line] -= 1
                    future.set_result(None)  # the slot passes on: ``running`` stays as it is
                    return
        self.running -= 1


class Ticket:
    """One admitted call: ``async with`` waits for its slot and releases it after (use it at once)."""

    __slots__ = ("_admission", "_serving")

    def __init__(self, admission: Admission, *, serving: bool) -> None:
        self._admission = admission
        self._serving = serving

    async def __aenter__(self) -> None:
        await self._admission._acquire(self._serving)

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._admission._release()
