"""The ``prompts try`` and ``prompts matrix`` commands.

What it is: ``modelswap prompts try [FILE] [--run RUN]``: variants of a prompt (templates over the
primary's prompt, and a prompt file's own variants) generated on the candidate arm with a progress
bar, stored under ``RUN~try~VARIANT`` (rerunning resumes), compared with the primary's recorded
answers by the comparison pipeline, ranked per category; ``--keep`` writes the winner into the
prompt file (or a new ``prompts/<category>.yaml``), pushes it and sets its variant status. And
``modelswap prompts matrix``: prompts × models, pass / partial / fail on the contracts, with the
prompt versions' history. What it is not: the templates, the scoring or the matrix themselves
(``modelswap.prompts``), nor their rendering (``modelswap.report.prompt_try``,
``modelswap.report.prompt_matrix``).

A raw completion variant (``completion``, ``completion-qa``) is a whole prompt: on a ``local`` arm
with a ``completion_template`` it is sent through the same model with the template ``{prompt}``
(the arm's own wrapper would wrap it again); serve a kept one through such an arm.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from modelswap.backends import Backend, build_backend
from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.model import Outcome
from modelswap.config import LocalArm, Settings, load_settings
from modelswap.errors import ModelswapError, PromptError
from modelswap.progress import ArmProgress, record_progress
from modelswap.prompts.keep import Edited, category_parts, category_prompt, kept_variant, set_variant
from modelswap.prompts.matrix import build_matrix
from modelswap.prompts.registry import FAMILY_PREFIX, Prompt, content_hash, load_prompt, variant_for
from modelswap.prompts.templates import TEMPLATES, Shot, template
from modelswap.prompts.tryout import (
    DEFAULT_SHOTS,
    Score,
    TryVariant,
    case_requests,
    cases_run,
    file_variant,
    file_variant_requests,
    first_samples,
    pair_trials,
    pick_shots,
    rank,
    score,
    shape_requests,
    shared_instructions,
    template_variant,
    try_run,
)
from modelswap.record import record
from modelswap.recording import redactor_for
from modelswap.report.prompt_matrix import render_matrix_html, render_matrix_markdown, render_matrix_terminal
from modelswap.report.prompt_try import render_try_markdown, render_try_terminal, try_json
from modelswap.rollout.control import default_actor
from modelswap.store import Store, open_store
from modelswap.store.prompts import PromptVersion, VariantStatus, VariantStatusName
from modelswap.types import ChatRequest, Role

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store and the arms).")]


@dataclass(kw_only=True)
class _Source:
    """What one try compares: requests of a run whose primary answers are stored, and where they came from."""

    run: str
    requests: list[ChatRequest]
    prompt: Prompt | None = None
    path: Path | None = None
    primary_key: str = "default"
    """The prompt file's variant the primary answered with."""
    variants: list[TryVariant] = field(default_factory=list)


def register(prompts_app: typer.Typer, *, out: Console, err: Console) -> None:
    """Add ``try`` and ``matrix`` to the ``prompts`` command group."""

    @prompts_app.command("try")
    def try_command(
        file: Annotated[Path | None, typer.Argument(metavar="[FILE]", help="A prompt file: try on its cases.")] = None,
        config: ConfigOption = None,
        run: Annotated[str | None, typer.Option("--run", help="A stored run: try on its recorded traffic.")] = None,
        primary: Annotated[str | None, typer.Option("--primary", help="The primary arm (default: the route's).")]
            = None,
        candidate: Annotated[str | None, typer.Option("--candidate", help="The candidate arm (default: the "
                                                      "route's first).")] = None,
        categories: Annotated[list[str] | None, typer.Option("--category", help="Only these categories.")] = None,
        templates: Annotated[list[str] | None, typer.Option("--template", help="Templates to try (default: all: "
                                                            f"{', '.join(TEMPLATES)}).")] = None,
        shots: Annotated[int, typer.Option("--shots", min=0, help="Examples per few-shot prompt.")] = DEFAULT_SHOTS,
        tag: Annotated[str | None, typer.Option("--tag", help="Suffix of the variants' names and runs "
                                                "(VARIANT@TAG): try again without resuming.")] = None,
        keep: Annotated[bool, typer.Option("--keep", help="Write the winner into the prompt file, push it, set its "
                                           "status.")] = False,
        family: Annotated[str | None, typer.Option("--family", help="--keep writes family:NAME, not the exact "
                                                   "model.")] = None,
        prompts_dir: Annotated[Path, typer.Option("--prompts-dir", help="Where --keep writes new prompt files.")]
            = Path("prompts"),
        policy_path: Annotated[Path | None, typer.Option("--policy", help="Gate policy (default: shipped).")] = None,
        semantic: Annotated[bool | None, typer.Option("--semantic/--no-semantic", help="Semantic similarity.")]
            = None,
        json_path: Annotated[Path | None, typer.Option("--json", help="Write the ranking as JSON.")] = None,
        markdown_path: Annotated[Path | None, typer.Option("--markdown", help="Write the ranking as Markdown.")]
            = None,
    ) -> None:
        """Try prompt variants on the candidate against the primary's answers; rank them per category."""
        if file is None and run is None:
            raise PromptError("prompts try needs a prompt FILE, --run RUN, or both")
        settings = load_settings(config)
        primary_arm, candidate_arm = _arms(settings, primary, candidate)
        chosen = [template(name) for name in templates] if templates else list(TEMPLATES.values())
        variants = [template_variant(t, shots, tag=tag) for t in chosen]
        with open_store(settings.store) as store:
            sources = []
            if file is not None:
                sources.append(_cases_source(store, settings, file, primary_arm, variants, err, tag=tag))
            if run is not None:
                sources.append(_run_source(store, run, primary_arm, categories, variants))
            scores = _generate_and_score(store, settings, sources, primary=primary_arm, candidate=candidate_arm,
                                         semantic=semantic, policy_path=policy_path, err=err)
            ranked = rank(scores)
            render_try_terminal(out, ranked, candidate=candidate_arm, primary=primary_arm)
            if keep:
                _keep(store, settings, sources, ranked, primary=primary_arm, candidate=candidate_arm, family=family,
                      prompts_dir=prompts_dir, out=out)
        if json_path is not None:
            json_path.write_bytes(orjson.dumps(try_json(ranked, primary=primary_arm, candidate=candidate_arm),
                                               option=orjson.OPT_INDENT_2))
        if markdown_path is not None:
            markdown_path.write_text(render_try_markdown(ranked, primary=primary_arm, candidate=candidate_arm),
                                     encoding="utf-8")

    @prompts_app.command("matrix")
    def matrix_command(
        config: ConfigOption = None,
        runs: Annotated[list[str] | None, typer.Option("--run", help="Runs to read (with their ~try~ runs; "
                                                       "default: every run).")] = None,
        worst: Annotated[int, typer.Option("--worst", min=0, help="Failing examples shown per cell.")] = 2,
        markdown_path: Annotated[Path | None, typer.Option("--markdown", help="Write it as Markdown.")] = None,
        html_path: Annotated[Path | None, typer.Option("--html", help="Write it as self-contained HTML.")] = None,
        semantic: Annotated[bool | None, typer.Option("--semantic/--no-semantic", help="Semantic similarity.")]
            = None,
    ) -> None:
        """Prompts × models: pass / partial / fail against the primary and the contracts, and the prompt history."""
        settings = load_settings(config)
        with open_store(settings.store) as store:
            matrix = build_matrix(store, runs=runs, worst=worst, semantic=semantic)
        render_matrix_terminal(out, matrix)
        if markdown_path is not None:
            markdown_path.write_text(render_matrix_markdown(matrix), encoding="utf-8")
        if html_path is not None:
            html_path.write_text(render_matrix_html(matrix), encoding="utf-8")


def _arms(settings: Settings, primary: str | None, candidate: str | None) -> tuple[str, str]:
    routes = list(settings.routes.values())
    if primary is None or candidate is None:
        if len(routes) != 1 or (candidate is None and not routes[0].candidates):
            raise ModelswapError("name --primary ARM and --candidate ARM (the configuration has no single route "
                                 "with a candidate to take them from)")
        primary = primary or routes[0].primary
        candidate = candidate or routes[0].candidates[0]
    for arm in (primary, candidate):
        settings.arm(arm)
    return primary, candidate


def _cases_source(store: Store, settings: Settings, file: Path, primary: str, variants: list[TryVariant],
                  err: Console, *, tag: str | None) -> _Source:
    """The prompt file's cases, with the primary's answers recorded (twice: primary and replica) when missing."""
    prompt = load_prompt(file)
    if not prompt.cases:
        raise PromptError(f"{file}: the prompt has no cases to try variants on")
    arm = settings.arm(primary)
    primary_key, _ = variant_for(prompt, arm.model, arm.prompt_family)  # the variant the gateway would send it
    requests = case_requests(prompt, arm.model, arm.prompt_family)
    run = cases_run(prompt)
    with record_progress(err) as add_line:
        line = add_line(primary, run)
        asyncio.run(_record(build_backend(primary, settings.arm(primary)), store, requests, settings, run=run,
                            role="primary", repeat=2, line=line))
    own = [file_variant(key, tag=tag) for key in sorted(prompt.variants)]
    return _Source(run=run, requests=requests, prompt=prompt, path=file, primary_key=primary_key,
                   variants=[*variants, *own])


def _run_source(store: Store, run: str, primary: str, categories: list[str] | None,
                variants: list[TryVariant]) -> _Source:
    requests = store.requests(run)
    if not requests:
        raise ModelswapError(f"run {run!r} has no requests in the store (runs: {', '.join(store.runs()) or 'none'})")
    if categories:
        unknown = sorted(set(categories) - {r.category for r in requests})
        if unknown:
            raise ModelswapError(f"run {run!r} has no category {', '.join(unknown)}")
        requests = [r for r in requests if r.category in categories]
    if not store.observations(run, arm=primary):
        raise ModelswapError(f"run {run!r} has no observations of the primary arm {primary!r}")
    return _Source(run=run, requests=requests, variants=list(variants))


def _generate_and_score(store: Store, settings: Settings, sources: Sequence[_Source], *, primary: str,
                        candidate: str, semantic: bool | None, policy_path: Path | None, err: Console
                        ) -> list[Score]:
    policy = load_policy(policy_path)
    plans = []
    for source in sources:
        answers = first_samples(store.observations(source.run, arm=primary))
        for variant in source.variants:
            shaped, raw = _shaped(source, variant, answers)
            _check_not_stale(store, try_run(source.run, variant.name), shaped)
            plans.append((source, variant, shaped, raw))
    with record_progress(err) as add_line:
        asyncio.run(_record_variants(store, settings, candidate, plans, add_line))
    scores: list[Score] = []
    for source in sources:
        base = store.observations(source.run, arm=primary)
        for variant in source.variants:
            answered = store.observations(try_run(source.run, variant.name), arm=candidate)
            trials = pair_trials(source.requests, base, answered)
            if not trials:
                continue
            scores += score(trials, variant=variant.name, baseline=primary, candidate=candidate, policy=policy,
                            comparators=lambda: default_comparators(semantic=semantic))
    return scores


def _check_not_stale(store: Store, run: str, shaped: Sequence[ChatRequest]) -> None:
    """A variant's run resumes only if it holds the same prompts (a request stored is never rewritten)."""
    stored = {request.id: request for request in store.requests(run)}
    stale = [r.id for r in shaped if r.id in stored and stored[r.id].messages != r.messages]
    if stale:
        raise ModelswapError(f"run {run!r} holds other prompts for {len(stale)} request(s) (first: {stale[0]}): the "
                             "traffic, the template or the primary's answers changed since it was recorded; "
                             "try into new runs with --tag NAME")


def _shaped(source: _Source, variant: TryVariant, answers: dict[str, Outcome]) -> tuple[list[ChatRequest], bool]:
    if variant.file_key is not None:
        assert source.prompt is not None
        return file_variant_requests(source.prompt, variant.file_key, source.requests), False
    assert variant.template is not None
    return shape_requests(source.requests, variant.template, shots=variant.shots, answers=answers)


async def _record_variants(store: Store, settings: Settings, candidate: str, plans: list[tuple[_Source, TryVariant,
                           list[ChatRequest], bool]], add_line: Callable[[str, str], ArmProgress]) -> None:
    backends: dict[bool, Backend] = {}
    try:
        for source, variant, shaped, raw in plans:
            if raw not in backends:
                backends[raw] = _candidate_backend(settings, candidate, raw=raw)
            line = add_line(f"{candidate} {variant.name}", try_run(source.run, variant.name))
            await _record(backends[raw], store, shaped, settings, run=try_run(source.run, variant.name),
                          role="candidate", repeat=1, line=line, close=False)
    finally:
        for backend in backends.values():
            await backend.aclose()


def _candidate_backend(settings: Settings, candidate: str, *, raw: bool) -> Backend:
    """The candidate arm; for a raw completion prompt, a local arm's ``completion_template`` becomes ``{prompt}``."""
    arm = settings.arm(candidate)
    if raw and isinstance(arm, LocalArm) and arm.completion_template is not None:
        arm = arm.model_copy(update={"completion_template": "{prompt}"})
    return build_backend(candidate, arm)


async def _record(backend: Backend, store: Store, requests: Sequence[ChatRequest], settings: Settings, *, run: str,
                  role: Role, repeat: int, line: ArmProgress, close: bool = True) -> None:
    try:
        await record(requests, backend, store, run=run, role=role, repeat=repeat, concurrency=1,
                     on_observation=line.on_observation, on_plan=line.on_plan, redactor=redactor_for(settings))
    finally:
        if close:
            await backend.aclose()


def _keep(store: Store, settings: Settings, sources: Sequence[_Source], ranked: dict[str, list[Score]], *,
          primary: str, candidate: str, family: str | None, prompts_dir: Path, out: Console) -> None:
    key = FAMILY_PREFIX + family if family else settings.arm(candidate).model
    for source in sources:
        answers = first_samples(store.observations(source.run, arm=primary))
        for category in sorted({r.category for r in source.requests}):
            if category not in ranked:
                continue
            best = ranked[category][0]
            variant = next(v for v in source.variants if v.name == best.variant)
            requests = [r for r in source.requests if r.category == category]
            pool = [(r, answers[r.id]) for r in requests if r.id in answers]
            shots = pick_shots(ChatRequest(id="", messages=(), category=category), pool, variant.shots,
                               head=shared_instructions(requests))
            edited, path = _edited(source, variant, category, requests, shots, key, prompts_dir,
                                   why=_why(ranked[category], source.run))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(edited.text, encoding="utf-8")
            status = _push(store, edited.prompt, key, passed=best.decision == "go")
            out.print(f"kept {best.variant} for {category} as variant {key!r} in {path} "
                      f"({content_hash(edited.prompt)[:12]}, {status})"
                      + ("" if edited.comments_kept else "; the file's comments could not be kept"),
                      markup=False, highlight=False, soft_wrap=True)
            if variant.template is not None and variant.template.name.startswith("completion"):
                out.print("  a raw completion prompt: serve it through an arm whose completion_template is "
                          "'{prompt}'", markup=False, highlight=False)


def _why(scores: Sequence[Score], run: str) -> str:
    """The kept variant's reason, from its ranking: its regression rate against the other variants'."""
    best, others = scores[0], ", ".join(f"{s.variant} {s.regression_rate:.0%}" for s in scores[1:])
    return (f"prompts try on run {run}: {best.variant} regressed on {best.regression_rate:.0%} of {best.trials} "
            f"{best.category} requests against the primary (gate {best.decision})" + (f"; {others}" if others else ""))


def _edited(source: _Source, variant: TryVariant, category: str, requests: list[ChatRequest], shots: list[Shot],
            key: str, prompts_dir: Path, *, why: str) -> tuple[Edited, Path]:
    """The prompt file with the winner under ``key`` (and ``why``): the tried file, or
    ``prompts_dir/<category>.yaml``."""
    if source.prompt is not None and source.path is not None:
        prompt = source.prompt
        if variant.file_key is not None:
            data = prompt.variants[variant.file_key].model_dump(mode="json", exclude_defaults=True)
        else:
            assert variant.template is not None
            own = prompt.variants[source.primary_key]
            data = kept_variant(variant.template, [m.model_dump() for m in own.messages], shots, own.params or None)
        data["why"] = why
        return set_variant(source.path.read_text(encoding="utf-8"), key, data, path=str(source.path)), source.path
    assert variant.template is not None
    data = {**kept_variant(variant.template, category_parts(requests), shots), "why": why}
    path = prompts_dir / f"{category}.yaml"
    if path.exists():
        return set_variant(path.read_text(encoding="utf-8"), key, data, path=str(path)), path
    return category_prompt(category, requests, key, data, source=f"run {source.run!r}"), path


def _push(store: Store, prompt: Prompt, key: str, *, passed: bool) -> str:
    hash_ = content_hash(prompt)
    now, actor = time.time(), default_actor()
    store.save_prompt_version(PromptVersion(name=prompt.name, hash=hash_, content=prompt.model_dump(mode="json"),
                                            created_at=now, created_by=actor))
    status: VariantStatusName = "shadow-passed" if passed else "draft"
    store.set_variant_status(VariantStatus(name=prompt.name, hash=hash_, model_key=key, status=status,
                                           updated_at=now, updated_by=actor))
    return status
