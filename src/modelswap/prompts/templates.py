"""Variant templates: named transforms from the primary's chat messages to a candidate's variant.

What it is: ``TEMPLATES``, each a ``Template`` with a name, a one-line description and a pure
``shape`` function from a request's ``Parts`` (its instructions and its input) and a few examples
(``Shot``) to the messages a candidate is sent (``Shaped``). ``split`` reads the parts of any chat
request; ``apply`` shapes one. What it is not: choosing the examples (``modelswap.prompts.tryout``),
running or comparing anything.

How a request splits (``split``): the instructions are the system (and developer) messages, then,
when the last user message has a blank line, the part of it before the first blank line; the input
is the rest of that user message. ``Classify this review...\\n\\nReview: ...`` gives the instruction
sentence and ``Review: ...``; a user message without a blank line is all input. With ``head=False``
the first paragraph stays in the input: ``prompts try`` splits so when the requests of a category do
not all share their instructions (each example then carries its own).

The templates (``Shaped.stop`` is added to the request's stop sequences):

- ``as-is``: the messages unchanged (the primary's prompt, as the candidate gets it today).
- ``system-in-user``: the system text moved to the start of the first user turn, for models
  without a system role.
- ``xml``: one user message, ``<instructions>...</instructions>`` then ``<input>...</input>``.
- ``markdown``: one user message, ``## Instructions`` then ``## Input``.
- ``few-shot``: chat few-shot: the instructions as the system message, each example a user turn
  and the assistant's answer, then the input.
- ``completion``: a raw completion prompt for base models: the instructions, then ``Input:`` /
  ``Output:`` blocks, ending in the open ``Output:`` slot; stops at the next ``\\nInput:``.
- ``completion-qa``: the same with ``Q:`` / ``A:`` blocks; stops at the next ``\\nQ:``.

A completion template's result is ``raw``: one user message that is the whole prompt, meant to be
sent verbatim to a base model (an arm whose ``completion_template`` is ``{prompt}``). With no
examples, ``few-shot`` and the completion templates are zero-shot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelswap.errors import PromptError
from modelswap.types import message_text


@dataclass(frozen=True, kw_only=True, slots=True)
class Parts:
    """A request's instructions (may be empty) and its input, as ``split`` reads them."""

    instructions: str
    input: str
    messages: tuple[dict[str, Any], ...] = ()
    """The original messages (what ``as-is`` and ``system-in-user`` reshape)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Shot:
    """One example: an input and the answer given to it."""

    input: str
    output: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Shaped:
    """The messages a variant sends, the stop sequences it adds, and whether it is a raw completion prompt."""

    messages: tuple[dict[str, str], ...]
    stop: tuple[str, ...] = ()
    raw: bool = False


Shape = Callable[[Parts, Sequence[Shot]], Shaped]


@dataclass(frozen=True, kw_only=True, slots=True)
class Template:
    """A named transform; ``shots``: whether it uses examples."""

    name: str
    description: str
    shots: bool
    shape: Shape


def split(messages: Sequence[Mapping[str, Any]], *, head: bool = True) -> Parts:
    """The instructions and the input of a chat request (see the module docstring); with ``head=False`` the
    user message's first paragraph stays in the input (requests whose instructions differ one from another)."""
    system = [message_text(dict(m)) for m in messages if m.get("role") in ("system", "developer")]
    users = [message_text(dict(m)) for m in messages if m.get("role") == "user"]
    text = users[-1] if users else ""
    first, sep, rest = text.partition("\n\n")
    instructions = [s.strip() for s in system if s.strip()]
    if sep and rest.strip() and head:
        instructions.append(first.strip())
        text = rest
    return Parts(instructions="\n\n".join(instructions), input=text.strip(),
                 messages=tuple(dict(m) for m in messages))


def _as_is(parts: Parts, shots: Sequence[Shot]) -> Shaped:
    return Shaped(messages=tuple({"role": str(m.get("role")), "content": message_text(m)} for m in parts.messages))


def _system_in_user(parts: Parts, shots: Sequence[Shot]) -> Shaped:
    system = "\n\n".join(message_text(m) for m in parts.messages if m.get("role") in ("system", "developer"))
    rest = [{"role": str(m.get("role")), "content": message_text(m)} for m in parts.messages
            if m.get("role") not in ("system", "developer")]
    first_user = next((i for i, m in enumerate(rest) if m["role"] == "user"), None)
    if system and first_user is not None:
        rest[first_user] = {"role": "user", "content": f"{system}\n\n{rest[first_user]['content']}"}
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return Shaped(messages=tuple(rest))


def _xml(parts: Parts, shots: Sequence[Shot]) -> Shaped:
    blocks = [f"<instructions>\n{parts.instructions}\n</instructions>"] if parts.instructions else []
    blocks.append(f"<input>\n{parts.input}\n</input>")
    return Shaped(messages=({"role": "user", "content": "\n".join(blocks)},))


def _markdown(parts: Parts, shots: Sequence[Shot]) -> Shaped:
    blocks = [f"## Instructions\n\n{parts.instructions}"] if parts.instructions else []
    blocks.append(f"## Input\n\n{parts.input}")
    return Shaped(messages=({"role": "user", "content": "\n\n".join(blocks)},))


def _few_shot(parts: Parts, shots: Sequence[Shot]) -> Shaped:
    messages = [{"role": "system", "content": parts.instructions}] if parts.instructions else []
    for shot in shots:
        messages += [{"role": "user", "content": shot.input}, {"role": "assistant", "content": shot.output}]
    messages.append({"role": "user", "content": parts.input})
    return Shaped(messages=tuple(messages))


def _completion(question: str, answer: str) -> Shape:
    def shape(parts: Parts, shots: Sequence[Shot]) -> Shaped:
        blocks = [parts.instructions] if parts.instructions else []
        blocks += [f"{question} {shot.input}\n{answer} {shot.output}" for shot in shots]
        blocks.append(f"{question} {parts.input}\n{answer}")
        return Shaped(messages=({"role": "user", "content": "\n\n".join(blocks)},), stop=(f"\n{question}",),
                      raw=True)

    return shape


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template(name="as-is", description="the primary's messages unchanged", shots=False, shape=_as_is),
    Template(name="system-in-user", description="the system prompt moved into the first user turn", shots=False,
             shape=_system_in_user),
    Template(name="xml", description="instructions and input in <instructions>/<input> tags, one user turn",
             shots=False, shape=_xml),
    Template(name="markdown", description="instructions and input under ## headings, one user turn", shots=False,
             shape=_markdown),
    Template(name="few-shot", description="chat few-shot: examples as user/assistant turns before the input",
             shots=True, shape=_few_shot),
    Template(name="completion", description="raw completion for base models: Input:/Output: blocks, open Output:",
             shots=True, shape=_completion("Input:", "Output:")),
    Template(name="completion-qa", description="raw completion for base models: Q:/A: blocks, open A:", shots=True,
             shape=_completion("Q:", "A:")),
)}


def template(name: str) -> Template:
    """The template called ``name``, or a ``PromptError`` naming the known ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise PromptError(f"unknown template {name!r}; expected one of {', '.join(TEMPLATES)}") from None


def apply(chosen: Template, messages: Sequence[Mapping[str, Any]], shots: Sequence[Shot] = (), *,
          head: bool = True) -> Shaped:
    """``messages`` shaped by ``chosen``, with ``shots`` when it uses examples (``head``: as ``split``)."""
    return chosen.shape(split(messages, head=head), shots if chosen.shots else ())
