"""The spill: what a write-behind writer could not write while the store was down, on local disk.

What it is: ``Spill``, a directory of JSON-lines files, one line per item, for one kind of
item (observations, requests). Each writer appends to a file of its own,
``<kind>-<pid>-<random>.jsonl``, and holds an exclusive ``flock`` on it for as long as it
runs, so several gateway workers can share the directory. ``open`` also adopts the files of
the same kind that no live process holds (left by a process that crashed or stopped while
the store was down): their lines are read back first, oldest file first. Lines are taken
from the front (``take``) and appended at the back (``append``, fsynced); a file whose lines
have all been taken is removed (its own file is emptied instead). Every method does blocking
file I/O: the writer calls them in a worker thread, one at a time.

What it is not: a durable queue with acknowledgements. Which lines were taken is known only
in memory, so after a crash a file is read again from its start: items written before the
crash are written again, which the store makes harmless (observations are upserted by key,
requests kept once per run and trial). Nor does it encode items: it stores the bytes the
writer gives it, and returns them.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from modelswap.errors import StoreError


@dataclass(kw_only=True)
class _Segment:
    """One spill file: its lock-holding handle, how far it has been taken, how much is left."""

    path: Path
    handle: BinaryIO
    offset: int = 0
    items: int = 0
    size_bytes: int = 0
    own: bool = False


class Spill:
    """JSON-lines files of one ``kind`` in ``directory``, at most ``max_bytes`` not yet taken."""

    def __init__(self, directory: str | os.PathLike[str], *, kind: str, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.directory = Path(directory)
        self.kind = kind
        self.max_bytes = max_bytes
        self._segments: deque[_Segment] = deque()
        self._own: _Segment | None = None
        self._items = self._size_bytes = 0

    @property
    def items(self) -> int:
        """Lines appended or adopted and not yet taken (safe to read from another thread)."""
        return self._items

    @property
    def size_bytes(self) -> int:
        """Bytes of the lines not yet taken."""
        return self._size_bytes

    def _recount(self) -> None:
        """Totals kept as plain numbers, so another thread reads them without walking the segments."""
        self._items = sum(segment.items for segment in self._segments)
        self._size_bytes = sum(segment.size_bytes for segment in self._segments)

    def open(self) -> int:
        """Create the directory and this process's file; adopt orphaned files. Returns the lines adopted."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            adopted = [segment for path in sorted(self.directory.glob(f"{self.kind}-*.jsonl"), key=_mtime)
                       if (segment := _adopt(path)) is not None]
            self._own = self._create()
        except OSError as exc:
            raise StoreError(f"spill directory {str(self.directory)!r}: {exc.strerror or exc}") from exc
        self._segments.extend([*adopted, self._own])
        self._recount()
        return self._items

    def append(self, lines: Sequence[bytes]) -> int:
        """Append as many of ``lines`` (each without its newline) as fit under ``max_bytes``; returns how many."""
        own = self._owned()
        room, fitting = self.max_bytes - self.size_bytes, []
        for line in lines:
            if len(line) + 1 > room:
                break
            fitting.append(line)
            room -= len(line) + 1
        if not fitting:
            return 0
        data = b"".join(line + b"\n" for line in fitting)
        own.handle.seek(0, os.SEEK_END)
        own.handle.write(data)
        own.handle.flush()
        os.fsync(own.handle.fileno())
        own.items += len(fitting)
        own.size_bytes += len(data)
        self._recount()
        return len(fitting)

    def take(self, limit: int) -> list[bytes]:
        """Up to ``limit`` lines from the front (oldest file first), without their newlines; they are gone after."""
        taken: list[bytes] = []
        while self._segments and len(taken) < limit:
            segment = self._segments[0]
            taken += _read(segment, limit - len(taken))
            if segment.items == 0:
                self._finish(segment)
                if not segment.own:
                    continue
            break
        self._recount()
        return taken

    def close(self) -> None:
        """Release every file: emptied ones are removed, the rest stay for the next process (still in ``items``)."""
        for segment in self._segments:
            if segment.items == 0 and not segment.handle.closed:
                segment.path.unlink(missing_ok=True)
            segment.handle.close()
        self._own = None

    def _owned(self) -> _Segment:
        if self._own is None:
            raise RuntimeError("Spill.append: the spill is not open")
        return self._own

    def _create(self) -> _Segment:
        """This process's file, locked before it gets the name other processes look for."""
        name = f"{self.kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        temporary = self.directory / f".{name}.new"
        handle = temporary.open("a+b")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        temporary.rename(self.directory / name)
        return _Segment(path=self.directory / name, handle=handle, own=True)

    def _finish(self, segment: _Segment) -> None:
        """A segment whose lines were all taken: an adopted file goes; this process's own file is emptied."""
        if segment.own:
            segment.handle.truncate(0)
            segment.offset = segment.size_bytes = 0
            return
        self._segments.popleft()
        segment.path.unlink(missing_ok=True)
        segment.handle.close()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _adopt(path: Path) -> _Segment | None:
    """The file at ``path`` if no live process holds it (it is then locked by this one), else ``None``."""
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    data = handle.read()
    items = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return _Segment(path=path, handle=handle, items=items, size_bytes=len(data))


def _read(segment: _Segment, limit: int) -> list[bytes]:
    """Up to ``limit`` lines of ``segment`` from its offset (a last line cut by a crash counts as one)."""
    segment.handle.seek(segment.offset)
    lines: list[bytes] = []
    while len(lines) < limit and segment.items:
        raw = segment.handle.readline()
        if not raw:  # the file is shorter than counted (truncated by hand): nothing more to take
            segment.items = segment.size_bytes = 0
            break
        segment.offset += len(raw)
        segment.items -= 1
        segment.size_bytes -= len(raw)
        lines.append(raw.rstrip(b"\n"))
    return lines
