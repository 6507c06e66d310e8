"""The JSON report file (``--json``), schema ``modelswap.report/v1``.

What it is: writing ``model.to_json`` with orjson (NaN and infinities become null, so the
file is strict JSON). What it is not: the schema itself (``model.to_json``,
``data/report.schema.json``) or the tests that validate against it (``tests/test_compare_pairs.py``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson

from modelswap.compare.comparison import Comparison
from modelswap.report.model import to_json


def render_json(report: Comparison) -> bytes:
    """The report as indented, strict JSON."""
    return orjson.dumps(_finite(to_json(report)), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def write_json(report: Comparison, path: str | Path) -> None:
    Path(path).write_bytes(render_json(report))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
