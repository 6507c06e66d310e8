"""The ``store_buffer`` section: defaults, sizes with units, environment overrides, one clear error per mistake."""

from __future__ import annotations

import pytest

from modelswap.config import parse_settings
from modelswap.errors import ConfigError


def test_defaults_hold_ten_thousand_items_or_64_mib_in_memory_and_no_spill() -> None:
    buffer = parse_settings("store: sqlite:///x.db\n").store_buffer
    assert (buffer.max_items, buffer.max_bytes, buffer.spill_dir, buffer.spill_max_bytes, buffer.close_timeout_s) == (
        10_000, 64 * 2**20, None, 2**30, 30.0)


def test_sizes_take_units_and_the_environment_overrides_keys() -> None:
    text = "store_buffer:\n  max_bytes: 32MiB\n  spill_max_bytes: 500MB\n  max_items: 500\n"
    buffer = parse_settings(text, env={"MODELSWAP__store_buffer__spill_dir": "/var/lib/modelswap/spill"}).store_buffer
    assert (buffer.max_items, buffer.max_bytes, buffer.spill_max_bytes, buffer.spill_dir) == (
        500, 32 * 2**20, 500_000_000, "/var/lib/modelswap/spill")


@pytest.mark.parametrize(("text", "error"), [
    ("store_buffer:\n  max_bytes: lots\n",
     "modelswap.yaml:2: store_buffer.max_bytes: could not parse value and unit from byte string (got 'lots')"),
    ("store_buffer:\n  spill_max_bytes: 10 parsecs\n",
     "modelswap.yaml:2: store_buffer.spill_max_bytes: could not interpret byte unit: parsecs (got '10 parsecs')"),
    ("store_buffer:\n  max_items: 0\n",
     "modelswap.yaml:2: store_buffer.max_items: Input should be greater than or equal to 1 (got 0)"),
    ("store_buffer:\n  max_bytes: 0\n",
     "modelswap.yaml:2: store_buffer.max_bytes: Input should be greater than 0 (got 0)"),
    ("store_buffer:\n  spill_dir: ''\n",
     "modelswap.yaml:2: store_buffer.spill_dir: String should have at least 1 character (got '')"),
    ("store_buffer:\n  max_item: 5\n", "modelswap.yaml:2: store_buffer.max_item: unknown key"),
    ("store_buffer: 100\n", "modelswap.yaml:1: store_buffer: Input should be a valid dictionary or instance of "
                            "StoreBufferConfig (got 100)"),
])
def test_a_mistake_is_one_line_naming_the_file_line_and_key(text: str, error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, path="modelswap.yaml")
    assert str(caught.value) == error
