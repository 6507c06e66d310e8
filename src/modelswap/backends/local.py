"""The ``local`` backend: a GGUF model run in-process by llama-cpp-python.

What it is: one ``llama_cpp.Llama`` per arm, loaded lazily on the first call and then kept,
answering chat requests on one dedicated worker thread so calls never block the event loop.
A model is named from the registry (``modelswap.backends.gguf``: ``smollm2-135m``,
``gemma3-270m``) or given as ``model_path``, any GGUF file.

What it is not: a server, a batcher or a downloader. Calls to one arm run one at a time
(a ``Llama`` is not thread-safe); arms run in parallel only as far as the CPU allows.

Two ways to turn the conversation into a prompt:

- ``chat_format`` (default: the registry's, else the template inside the GGUF file): llama.cpp's
  chat template of that name (``chatml``, ``gemma``, ...). With ``gemma``, system messages are
  folded into the first user turn, as Gemma's own template does (llama.cpp would drop them).
- ``completion_template``: a plain string with ``{prompt}`` where the conversation goes, sent
  as a raw completion (for base models). A lone user message is inserted verbatim, so a
  few-shot prompt stays a completion prompt; a longer conversation becomes ``System: ...``,
  ``User: ...``, ``Assistant: ...`` lines, and ``\\nUser:`` is added to the stop sequences.
  Only ``{prompt}`` is replaced; other braces are left alone.

Parameters: arm ``params`` are defaults, request params override. Passed to llama.cpp:
temperature, top_p, top_k, min_p, stop, seed, repeat_penalty, frequency_penalty,
presence_penalty, max_tokens (or ``max_completion_tokens``; default 128) and, for chat,
``response_format`` (``json_object`` and ``json_schema`` become a llama.cpp JSON grammar).
Unset temperature and top_p take OpenAI's defaults (1.0), not llama.cpp's, so a traffic file
means the same on every arm. Other params are ignored but kept on the observation.

Reproducibility: the KV cache is reset before every call. llama.cpp would otherwise reuse the
previous prompt's prefix, which shifts the logits slightly; at temperature > 0 that changes the
sampled tokens, so a seeded answer would depend on the call before it. With the reset, the same
request and seed give the same answer on any backend instance.

Observations: ``latency_ms`` is the generation time on the worker thread; waiting for the
thread and the one-time model load are excluded. ``usage`` is llama.cpp's token count; in
multi-byte text (Japanese) llama-cpp-python finishes the last character before it stops, so
``completion_tokens`` can exceed ``max_tokens`` by up to 3. ``cost_usd`` follows from ``price``.
A failure inside llama.cpp (context overflow, an unreadable file) is an ``ErrorInfo`` of kind
``backend``. Loading Gemma 3 prints one SWA-cache line to stderr even with ``verbose=False``.

Timeout: a call that has no answer after ``timeout_s`` (waiting included) returns an
``ErrorInfo`` of kind ``timeout``. A call still waiting for the thread is cancelled; one
already generating cannot be interrupted and runs to ``max_tokens`` before the next starts.

Streaming (``stream``): the same llama.cpp call as ``complete`` (same tokens, same observation),
watched by a logits processor that changes nothing: before each token is sampled it reads the
tokens generated so far and hands out the text they complete, one token behind the generation.
Text that could be the start of a stop sequence is held back until it is known not to be one;
what is left when the call returns (the last token, or all of it after a stop) follows at once.

Capacity: one call runs at a time (one model, one worker thread) and ``max_queue`` may wait;
``capacity`` tells the gateway, which answers 503 (or drops a shadow) beyond that. ``record``
and ``complete`` callers are not limited: they wait their turn.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelswap.backends import gguf
from modelswap.backends.base import Backend, Capacity, Deltas
from modelswap.config import LocalArm
from modelswap.errors import BackendError
from modelswap.price import Price
from modelswap.types import ChatRequest, ErrorInfo, Observation, Usage

if TYPE_CHECKING:
    from llama_cpp import Llama

DEFAULT_MAX_TOKENS = 128
logger = logging.getLogger(__name__)
INSTALL_HINT = "install modelswap[local] (see README: the portable llama.cpp build)"
_SAMPLING = ("temperature", "top_p", "top_k", "min_p", "stop", "seed", "repeat_penalty",
             "frequency_penalty", "presence_penalty")
_OPENAI_DEFAULTS = {"temperature": 1.0, "top_p": 1.0}
_ROLE_NAMES = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant"}
_TRANSCRIPT_STOPS = ("\nUser:", "\nSystem:")
# What llama.cpp raises for a bad file, a context overflow, a bad parameter or a broken reply.
_LLAMA_ERRORS = (ValueError, RuntimeError, TypeError, KeyError, IndexError, OSError, ImportError)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Answer:
    output: str
    finish_reason: str | None
    usage: Usage | None
    latency_ms: float


class LocalBackend(Backend):
    """An arm served by a GGUF model in this process; ``aclose()`` unloads it."""

    def __init__(self, *, arm: str, model: str | None = None, model_path: str | Path | None = None,
                 chat_format: str | None = None, completion_template: str | None = None,
                 n_threads: int = 1, n_ctx: int = 2048, params: Mapping[str, Any] | None = None,
                 price: Price | None = None, timeout_s: float = 60.0, max_queue: int = 16) -> None:
        self.arm = arm
        self._entry = _registry_entry(arm, model, model_path)
        self.model = model or (self._entry.name if self._entry else Path(str(model_path)).stem)
        self.model_path = _checked_path(arm, model_path)
        if chat_format is not None and completion_template is not None:
            raise BackendError("set chat_format or completion_template, not both", arm=arm)
        if completion_template is not None and "{prompt}" not in completion_template:
            raise BackendError("completion_template must contain {prompt}", arm=arm)
        if chat_format is None and completion_template is None and self._entry is not None:
            chat_format = self._entry.chat_format
        _check_llama(arm, chat_format)
        self.chat_format = chat_format
        self.completion_template = completion_template
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.params = dict(params or {})
        self.price = price or Price()
        self.timeout_s = timeout_s
        self.capacity = Capacity(in_flight=1, queue=max_queue)
        self._llama: Llama | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def from_config(cls, name: str, arm: LocalArm) -> LocalBackend:
        """The backend for arm ``name``; with ``model_path`` set, ``model`` is only a label unless given."""
        model = arm.model if arm.model_path is None or "model" in arm.model_fields_set else None
        return cls(arm=name, model=model, model_path=arm.model_path, chat_format=arm.chat_format,
                   completion_template=arm.completion_template, n_threads=arm.n_threads, n_ctx=arm.n_ctx,
                   params=arm.params, price=Price(**arm.price.model_dump()), timeout_s=arm.timeout_s,
                   max_queue=arm.max_queue)

    def __repr__(self) -> str:
        how = f"completion_template={self.completion_template!r}" if self.completion_template else \
            f"chat_format={self.chat_format!r}"
        return f"LocalBackend(arm={self.arm!r}, model={self.model!r}, {how})"

    async def complete(self, request: ChatRequest) -> Observation:
        """Answer ``request`` on the worker thread; failures come back as an ``ErrorInfo``."""
        return await self._answer(request, None)

    async def stream(self, request: ChatRequest, deltas: Deltas) -> Observation:
        """``complete``, handing out the output's text to ``deltas`` as it is generated (see "Streaming")."""
        loop = asyncio.get_running_loop()

        def push(text: str) -> None:
            loop.call_soon_threadsafe(deltas, text)

        return await self._answer(request, push)

    async def _answer(self, request: ChatRequest, push: Deltas | None) -> Observation:
        params = {**self.params, **request.params}
        started, t0 = time.time(), time.perf_counter()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"modelswap-local-{self.arm}")
        job = asyncio.get_running_loop().run_in_executor(self._pool, self._generate, request.messages, params, push)
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await job
        except TimeoutError:
            result = ErrorInfo(kind="timeout", message=f"no answer within timeout_s={self.timeout_s}")
        if isinstance(result, ErrorInfo):
            return Observation(arm=self.arm, model=self.model, error=result, started_at=started,
                               latency_ms=(time.perf_counter() - t0) * 1000, params=params)
        return Observation(arm=self.arm, model=self.model, output=result.output, finish_reason=result.finish_reason,
                           usage=result.usage, cost_usd=self.price.cost_usd(result.usage),
                           latency_ms=result.latency_ms, started_at=started, params=params)

    async def aclose(self) -> None:
        """Cancel queued calls, wait for the running one, and unload the model; a later call reloads it."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._unload)

    def _unload(self) -> None:
        with self._lock:
            llama, self._llama = self._llama, None
            if llama is not None:
                llama.close()

    def _load(self) -> Llama:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=str(self._model_file()), n_threads=self.n_threads,
                                n_threads_batch=self.n_threads, n_ctx=self.n_ctx, chat_format=self.chat_format,
                                verbose=False)
        return self._llama

    def _model_file(self) -> Path:
        if self.model_path is not None:
            return self.model_path
        if self._entry is None:
            raise ValueError("neither model_path nor a registry model is set")
        return self._entry.materialize()

    def _generate(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any],
                  push: Deltas | None) -> _Answer | ErrorInfo:
        """Run on the worker thread: load once, then one llama.cpp call, timed."""
        with self._lock:
            try:
                llama = self._load()
                llama.reset()  # type: ignore[no-untyped-call]  # no prefix reuse: see "Reproducibility"
                t0 = time.perf_counter()
                output, response = self._call(llama, messages, params, push)
                latency_ms = (time.perf_counter() - t0) * 1000
                counts = response.get("usage")
                usage = Usage(prompt_tokens=int(counts["prompt_tokens"]),
                              completion_tokens=int(counts["completion_tokens"])) if counts else None
                finish_reason = response["choices"][0].get("finish_reason")
            except _LLAMA_ERRORS as exc:
                return ErrorInfo(kind="backend", message=f"{type(exc).__name__}: {exc}")
        return _Answer(output=output, finish_reason=finish_reason, usage=usage, latency_ms=latency_ms)

    def _call(self, llama: Llama, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any],
              push: Deltas | None) -> tuple[str, Mapping[str, Any]]:
        kwargs = llama_kwargs(params, chat=self.completion_template is None)
        prompt, transcript = render_conversation(messages)
        if self.completion_template is not None and transcript:
            kwargs["stop"] = [*_as_list(kwargs.get("stop")), *_TRANSCRIPT_STOPS]
        pieces = None if push is None else _Pieces(llama, push, stops=_as_list(kwargs.get("stop")))
        if pieces is not None:
            from llama_cpp import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([pieces])
        response: Any
        if self.completion_template is None:
            chat: Any = fold_system(messages) if self.chat_format == "gemma" else plain_messages(messages)
            response = llama.create_chat_completion(messages=chat, **kwargs)
            output = response["choices"][0]["message"].get("content") or ""
        else:
            response = llama.create_completion(prompt=self.completion_template.replace("{prompt}", prompt),
                                               **kwargs)
            output = response["choices"][0]["text"]
        if pieces is not None:
            pieces.finish(output)
        return output, response


class _Pieces:
    """A llama.cpp logits processor that changes no logit: it hands out the text generated so far.

    Called before each token is sampled, it finds the tokens generated so far (after the prompt,
    which is what was evaluated before the first call) and pushes the new text they complete, but
    never text that a stop sequence could still cut: what is pushed is always a start of the output.
    """

    def __init__(self, llama: Llama, push: Deltas, *, stops: Sequence[str]) -> None:
        self._llama = llama
        self._push = push
        self._stops = [stop for stop in stops if stop]
        self._prompt: int | None = None
        self.sent = ""

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        evaluated = self._llama.n_tokens
        if self._prompt is None:
            self._prompt = evaluated
            return scores
        ids = self._llama.input_ids
        text = self._llama.detokenize(ids[self._prompt:evaluated].tolist(),
                                      prev_tokens=ids[:self._prompt].tolist()).decode("utf-8", errors="ignore")
        self._send(text[:self._safe_end(text)])
        return scores

    def finish(self, output: str) -> None:
        """The call returned ``output``: push what of it was not pushed yet."""
        if output.startswith(self.sent):
            self._send(output)
        else:  # a stop the processor did not know (a chat format's own) cut what was already pushed
            logger.debug("streamed text is not a start of the final output; the rest is not pushed")

    def _send(self, text: str) -> None:
        if len(text) > len(self.sent) and text.startswith(self.sent):
            self._push(text[len(self.sent):])
            self.sent = text

    def _safe_end(self, text: str) -> int:
        """Where text stops being safe: before any stop sequence, and before any start of one at its end."""
        end = min([text.index(stop) for stop in self._stops if stop in text] or [len(text)])
        for stop in self._stops:
            for size in range(min(len(stop) - 1, end), 0, -1):
                if text[:end].endswith(stop[:size]):
                    end = min(end, len(text[:end]) - size)
                    break
        return end


def llama_kwargs(params: Mapping[str, Any], *, chat: bool) -> dict[str, Any]:
    """The llama.cpp keyword arguments for OpenAI-style ``params`` (see the module docstring)."""
    kwargs: dict[str, Any] = {**_OPENAI_DEFAULTS, **{k: params[k] for k in _SAMPLING if params.get(k) is not None}}
    limit = params.get("max_tokens", params.get("max_completion_tokens"))
    kwargs["max_tokens"] = DEFAULT_MAX_TOKENS if limit is None else limit
    response_format = params.get("response_format")
    if chat and isinstance(response_format, Mapping):
        if response_format.get("type") == "json_object":
            kwargs["response_format"] = dict(response_format)
        elif response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema")
            kwargs["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
    return kwargs


def plain_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages as llama.cpp's chat formats read them: text content, ``developer`` as ``system``."""
    return [{"role": "system" if m.get("role") == "developer" else m.get("role"), "content": _text(m)}
            for m in messages]


def fold_system(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Gemma has no system role: system text goes before the first user turn, as its template does."""
    plain = plain_messages(messages)
    system = "\n\n".join(m["content"] for m in plain if m["role"] == "system")
    rest = [m for m in plain if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0] = {"role": "user", "content": f"{system}\n\n{rest[0]['content']}"}
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return rest


def render_conversation(messages: Sequence[Mapping[str, Any]]) -> tuple[str, bool]:
    """The text for ``{prompt}`` and whether it is a transcript (more than one lone user message)."""
    if len(messages) == 1 and messages[0].get("role") == "user":
        return _text(messages[0]), False
    lines = [f"{_ROLE_NAMES.get(str(m.get('role')), str(m.get('role')).title())}: {_text(m)}" for m in messages]
    return "\n".join(lines), True


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def _as_list(stop: Any) -> list[str]:
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else list(stop)


def _registry_entry(arm: str, model: str | None, model_path: str | Path | None) -> gguf.RegistryModel | None:
    if model_path is not None:
        return gguf.MODELS.get(model or "")
    if model is None:
        raise BackendError(f"set model (one of {', '.join(sorted(gguf.MODELS))}) or model_path", arm=arm)
    entry = gguf.lookup(model, arm=arm)
    gguf.check_installed(entry, arm=arm)
    return entry


def _checked_path(arm: str, model_path: str | Path | None) -> Path | None:
    if model_path is None:
        return None
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise BackendError(f"model_path {str(model_path)!r}: no such file", arm=arm)
    return path


def _check_llama(arm: str, chat_format: str | None) -> None:
    try:
        chat_formats = importlib.import_module("llama_cpp.llama_chat_format")
    except ImportError as exc:
        raise BackendError(f"llama-cpp-python is not importable ({exc}); {INSTALL_HINT}", arm=arm) from None
    if chat_format is None:
        return
    try:
        chat_formats.get_chat_completion_handler(chat_format)
    except chat_formats.LlamaChatCompletionHandlerNotFoundException:
        raise BackendError(f"chat_format {chat_format!r} is not a llama.cpp chat format", arm=arm) from None
