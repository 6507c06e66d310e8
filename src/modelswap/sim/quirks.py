"""The quirks a simulated model can show, and how often.

What it is: the validated, frozen description of a simulator's misbehaviour (rates in 0-1,
keyword lists, latency distribution). What it is not: the code that applies them
(``modelswap.sim.model``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Rate = float


class LatencyModel(BaseModel):
    """Log-normal latency: ``median_ms`` and the log-space ``sigma``; 0 means answer at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    median_ms: float = Field(default=0.0, ge=0)
    sigma: float = Field(default=0.0, ge=0)


def _rate() -> Rate:
    return Field(default=0.0, ge=0.0, le=1.0)  # type: ignore[no-any-return,unused-ignore]


class Quirks(BaseModel):
    """Rates (0-1) of each quirk, decided per (seed, request) so runs are reproducible."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # structure
    json_fence_rate: Rate = _rate()
    preamble_rate: Rate = _rate()
    trailing_commentary_rate: Rate = _rate()
    rename_key_rate: Rate = _rate()
    drop_key_rate: Rate = _rate()
    spelled_number_rate: Rate = _rate()
    wrap_object_rate: Rate = _rate()
    # instruction shape and correctness
    extra_item_rate: Rate = _rate()
    wrong_label_rate: Rate = _rate()
    label_in_prose_rate: Rate = _rate()
    # refusals
    refusal_rate: Rate = _rate()
    refusal_keywords: tuple[str, ...] = ()
    refusal_categories: tuple[str, ...] = ()
    # language and meaning
    language_rate: Rate = _rate()
    language: str = "fr"
    paraphrase_rate: Rate = _rate()
    # degenerate output (at most one, in this order): "", the prompt given back, a loop to max_tokens
    empty_rate: Rate = _rate()
    echo_rate: Rate = _rate()
    repetition_rate: Rate = _rate()
    # truncation, failures and time
    truncation_rate: Rate = _rate()
    error_rate: Rate = _rate()
    error_status: int = Field(default=500, ge=400, le=599)
    hang_rate: Rate = _rate()
    hang_s: float = Field(default=3600.0, ge=0)
    latency: LatencyModel = LatencyModel()
    # as a pairwise judge (modelswap.sim.judge): answer "A" whatever the answers say
    position_bias_rate: Rate = _rate()
