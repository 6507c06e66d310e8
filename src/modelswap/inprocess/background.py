"""A background thread with its own event loop, holding the one recorder.

What it is: ``Background``, started once per in-process wrapper (``modelswap.shadow``) or
``Experiment``. The caller's thread (or event loop) hands it work with ``call`` (a function run
on the background loop, never waited for) or ``submit`` (a coroutine); requests and
observations reach the store through the ``Recorder`` running on that loop (redacting as the
configuration says), so the caller never waits on a shadow call or a database. ``close`` runs a
last coroutine (stop shadowing), writes everything accepted, stops the loop and closes the store.
What it is not: the shadow engine (``modelswap.gateway.shadow``) or the wrappers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from modelswap.recording import Recorder
from modelswap.redact import Redactor
from modelswap.store.base import Store

T = TypeVar("T")
logger = logging.getLogger(__name__)


class Background:
    """One daemon thread running one event loop, and the recorder writing to ``store`` from it."""

    def __init__(self, store: Store, *, name: str, redactor: Redactor | None = None) -> None:
        self.store = store
        self.loop = asyncio.new_event_loop()
        self.dropped_calls = 0
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._main, name=f"modelswap-{name}", daemon=True)
        self._thread.start()
        self.recorder: Recorder = self.run(self._start_recorder(redactor))

    def call(self, fn: Callable[..., object], *args: Any) -> bool:
        """Run ``fn(*args)`` on the background loop soon; never waits. ``False`` (counted) once closed."""
        with self._lock:
            if self._closed:
                self.dropped_calls += 1
                return False
            self.loop.call_soon_threadsafe(fn, *args)
            return True

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the background loop; its future is for the caller to wait on or not."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the background loop and wait for its result (setup and shutdown only)."""
        return self.submit(coro).result()

    def close(self, last: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run ``last`` on the loop, write everything accepted, stop the thread and close the store. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.run(self._shutdown(last))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()
            self.store.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def _start_recorder(self, redactor: Redactor | None) -> Recorder:
        recorder = Recorder(self.store, redactor=redactor)
        await recorder.start()
        return recorder

    async def _shutdown(self, last: Callable[[], Awaitable[None]] | None) -> None:
        await asyncio.sleep(0)  # let callbacks queued by ``call`` before ``close`` run first
        if last is not None:
            await last()
        await self.recorder.close()
