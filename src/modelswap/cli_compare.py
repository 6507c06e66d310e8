"""The ``compare`` and ``gate`` commands.

What it is: opening the trials (a stored run or a pairs file) as a streamed source, running the
comparison with a progress bar (items read of the total) and the source's problems printed as
they are met, writing the requested reports, and exiting with the gate's code when asked
(0 go, 1 no_go, 2 inconclusive). A comparison with a judge reads its trials into memory first
(the judge needs every open trial's texts). What it is not: the comparison (``modelswap.compare``).
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from modelswap.backends import build_backend
from modelswap.compare.checks import default_comparators
from modelswap.compare.comparison import Comparison
from modelswap.compare.digest import Problem
from modelswap.compare.embedding import default_embedder
from modelswap.compare.gate import Policy, default_policy_path, evaluate, load_policy
from modelswap.compare.incremental import SETTLE_S, IncrementalComparison, checkpoint_key, checkpoint_path
from modelswap.compare.judge import PairwiseJudge, judge_agreement
from modelswap.compare.judge_prompt import DEFAULT_RUBRIC
from modelswap.compare.pairs import PairsSource, load_pairs
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.source import StoreSource, trials_from_store
from modelswap.compare.state import LISTED
from modelswap.compare.stream import ComparatorFactory, ListSource, TrialSource, compare_stream
from modelswap.compare.summary import Summary
from modelswap.config import JudgeConfig, Settings, load_settings
from modelswap.errors import ModelswapError, TrafficError
from modelswap.report.html import write_html
from modelswap.report.json import write_json
from modelswap.report.markdown import render_markdown
from modelswap.report.terminal import render_gate, render_terminal
from modelswap.store import open_store

SHOWN_PROBLEMS = 20
"""Problems printed one by one (bad lines, corrupt rows); the rest are counted."""
COUNTED_ONLY = frozenset({"no_baseline", "no_candidate", "before_handoff"})
STATE_DIR_ENV = "MODELSWAP_STATE_DIR"
"""Where ``compare`` keeps its checkpoints (default ``.modelswap`` in the working directory)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Source:
    """The trials to compare and the names of their sides."""

    trials: TrialSource
    baseline: str
    candidate: str
    replica: str | None
    vector_store: str | None = None
    """The store semantic similarity caches its vectors in (a stored run's own)."""

PairsOption = Annotated[Path | None, typer.Option("--pairs", help="Pairs JSONL recorded elsewhere (docs/formats.md).")]
RunOption = Annotated[str, typer.Option("--run", help="Stored run to compare.")]
BaselineOption = Annotated[str | None, typer.Option("--baseline", "-b", help="Baseline (primary) arm.")]
CandidateOption = Annotated[str | None, typer.Option("--candidate", help="Candidate arm.")]
ReplicaOption = Annotated[str, typer.Option("--replica", help="'auto' (sample 1 of the baseline), an arm, or 'none'.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (for the store).")]
JudgeOption = Annotated[str | None, typer.Option("--judge", help="Arm that judges the trials the checks leave "
                                                  "open (needs -c; overrides the route's judge).")]
RouteOption = Annotated[str | None, typer.Option("--route", help="Route whose judge: block to use (needs -c).")]
WorkersOption = Annotated[int | None, typer.Option("--workers", min=1, help="Processes to compare in without "
                                                   "semantic similarity (default: one per core on large runs).")]
ListOption = Annotated[int, typer.Option("--list-trials", min=0, help="The report lists every trial of a run up to "
                                         "this many, else this many of the worst.")]
FreshOption = Annotated[bool, typer.Option("--fresh", help="Compare the whole run again, ignoring its checkpoint.")]
IncrementalOption = Annotated[bool, typer.Option(
    "--incremental/--no-incremental",
    help="A stored run: continue from the last comparison's checkpoint, comparing only what arrived since.")]
CheckpointDirOption = Annotated[Path | None, typer.Option(
    "--checkpoint-dir", help="Where checkpoints live (default: $MODELSWAP_STATE_DIR, else .modelswap).")]
SettleOption = Annotated[float, typer.Option(
    "--settle", min=0, help="Seconds after it is saved that a request lacking a side may still get it "
                            "(a live run); such requests are left for the next comparison.")]
SemanticOption = Annotated[bool | None, typer.Option("--semantic/--no-semantic",
                                                     help="Semantic similarity with a local embedding model "
                                                          "(default: when modelswap[semantic] is installed).")]


@contextmanager
def opened_source(*, pairs: Path | None, config: Path | None, run: str, baseline: str | None, candidate: str | None,
                  replica: str) -> Iterator[Source]:
    """The trials to compare, read as the comparison goes (a stored run's store stays open until the block ends)."""
    if pairs is not None:
        yield Source(trials=PairsSource(pairs), baseline=baseline or "baseline", candidate=candidate or "candidate",
                     replica="replica")
        return
    if not baseline or not candidate:
        raise ModelswapError("compare needs --pairs FILE, or --baseline ARM and --candidate ARM of a stored --run")
    settings = load_settings(config)
    with open_store(settings.store) as store:
        stored = StoreSource(store, url=settings.store, run=run, baseline=baseline, candidate=candidate,
                             replica=None if replica == "none" else replica, name=masked_url(settings.store))
        yield Source(trials=stored, baseline=baseline, candidate=candidate, replica=stored.replica,
                     vector_store=settings.store)


def load_source(*, pairs: Path | None, config: Path | None, run: str, baseline: str | None, candidate: str | None,
                replica: str, errors: Console) -> Source:
    """The trials to compare, read into memory now (what a judged comparison needs)."""
    if pairs is not None:
        loaded = load_pairs(pairs)
        _report_bad_lines(loaded.errors, errors)
        if not loaded.trials:
            raise TrafficError("no valid pair", path=str(pairs), line=0)
        has_replica = any(t.replica is not None for t in loaded.trials)
        info = {"pairs": str(pairs), "skipped_lines": len(loaded.errors)}
        return Source(trials=ListSource(loaded.trials, info=info), baseline=baseline or "baseline",
                      candidate=candidate or "candidate", replica="replica" if has_replica else None)
    if not baseline or not candidate:
        raise ModelswapError("compare needs --pairs FILE, or --baseline ARM and --candidate ARM of a stored --run")
    settings = load_settings(config)
    with open_store(settings.store) as store:
        stored = trials_from_store(store, run=run, baseline=baseline, candidate=candidate,
                                   replica=None if replica == "none" else replica)
    if stored.missing_baseline or stored.missing_candidate:
        errors.print(f"[yellow]{stored.missing_baseline} request(s) lack a baseline observation and "
                     f"{stored.missing_candidate} a candidate one; compared {len(stored.trials)}[/]")
    if not stored.trials:
        raise ModelswapError(f"run {run!r}: no request has observations of both {baseline!r} and {candidate!r}")
    info = {"store": masked_url(settings.store), "run": run}
    return Source(trials=ListSource(stored.trials, info=info), baseline=baseline, candidate=candidate,
                  replica=stored.replica)


def masked_url(url: str) -> str:
    """The store's URL as a report shows it: a PostgreSQL URL without its password (a SQLite one as it is)."""
    from modelswap.store.postgres import masked

    return masked(url) if url.startswith(("postgresql://", "postgres://")) else url


def _report_bad_lines(bad: tuple[TrafficError, ...], errors: Console) -> None:
    for error in bad[:20]:
        errors.print(f"[yellow]skipped[/] {error}", highlight=False, soft_wrap=True)
    if bad:
        errors.print(f"[yellow]{len(bad)} line(s) skipped[/]")


@contextmanager
def opened_judge(config: Path | None, *, arm: str | None, route: str | None) -> Iterator[PairwiseJudge | None]:
    """The judge ``--judge`` or ``--route`` asks for (none without either), caching in the config's store."""
    if arm is None and route is None:
        yield None
        return
    if config is None:
        raise ModelswapError("--judge and --route need -c CONFIG: the judge arm and the verdict cache come from it")
    settings = load_settings(config)
    options = _route_judge(settings, route) if route is not None else None
    name = arm or (options.arm if options is not None else None)
    if name is None:
        raise ModelswapError(f"route {route!r} has no judge; add judge: {{arm: NAME}} to it or pass --judge ARM")
    options = options or JudgeConfig(arm=name)
    with open_store(settings.store) as store:
        yield PairwiseJudge(build_backend(name, settings.arm(name)), rubric=options.rubric or DEFAULT_RUBRIC,
                            rubrics=options.rubrics, cache=store, concurrency=options.concurrency)


def _route_judge(settings: Settings, route: str) -> JudgeConfig | None:
    try:
        return settings.routes[route].judge
    except KeyError:
        known = ", ".join(sorted(settings.routes)) or "none"
        raise ModelswapError(f"unknown route {route!r}; expected one of {known}") from None


def with_agreement(report: Comparison, pairs: Path | None) -> Comparison:
    """``report`` with the judge's agreement with the pairs file's ``label.verdict`` lines, when both exist."""
    if report.judge is None or pairs is None:
        return report
    labels = {}
    for line in pairs.read_bytes().splitlines():
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # load_pairs already reported it
        label = data.get("label") if isinstance(data, dict) else None
        if isinstance(label, dict) and isinstance(label.get("verdict"), str) and isinstance(data.get("id"), str):
            labels[data["id"]] = label["verdict"]
    if not labels:
        return report
    return replace(report, judge={**report.judge, "agreement": judge_agreement(report.triaged, labels)})


def run_compare(source: Source, *, policy: Policy, semantic: bool | None, errors: Console,
                judge: PairwiseJudge | None = None, workers: int | None = None, listed: int = LISTED) -> Comparison:
    """The comparison of ``source`` with a progress bar on ``errors``: streamed, or in memory with a ``judge``.

    Without semantic similarity a large run is compared in worker processes (``workers``: None, one per core);
    with it, in this process (the embedding model's runtime uses the cores itself)."""
    columns = (TextColumn("comparing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("compare", total=source.trials.total)
        tick = functools.partial(progress.advance, task)
        if judge is not None:
            if not isinstance(source.trials, ListSource):
                raise ModelswapError("a judged comparison reads its trials into memory first (load_source)")
            return compare_trials(source.trials.trials, baseline=source.baseline, candidate=source.candidate,
                                  replica=source.replica, policy=policy,
                                  comparators=default_comparators(semantic=semantic), tick=tick,
                                  source=source.trials.info({}), judge=judge)
        told = Counter[str]()
        report = compare_stream(source.trials, baseline=source.baseline, candidate=source.candidate,
                                replica=source.replica, policy=policy,
                                comparators=comparator_factory(semantic, vector_store=source.vector_store),
                                workers=workers if semantic is False else 1, tick=tick,
                                warn=functools.partial(_warn, errors, told), listed=listed)
    _report_counts(report, errors)
    return report


def comparator_factory(semantic: bool | None, *, vector_store: str | None = None) -> ComparatorFactory:
    """The default comparators as a picklable factory; semantic similarity caches its vectors in the store at
    ``vector_store`` (a stored run's own store) and embeds on one thread."""
    if semantic is False or vector_store is None or vector_store in ("sqlite://", "sqlite:///:memory:"):
        return functools.partial(default_comparators, semantic=semantic)
    return functools.partial(default_comparators, semantic=semantic, vector_store=vector_store, embedding_threads=1)


def semantic_key(semantic: bool | None) -> str | None:
    """The embedder semantic similarity would use (None: none), for a checkpoint's key."""
    if semantic is False:
        return None
    embedder = default_embedder()
    return None if embedder is None else embedder.name


def checkpoint_directory(asked: Path | None) -> Path:
    return asked if asked is not None else Path(os.environ.get(STATE_DIR_ENV, "").strip() or ".modelswap")


def run_incremental(url: str, *, run: str, baseline: str, candidate: str, replica: str, policy: Policy,
                    semantic: bool | None, errors: Console, workers: int | None = None, listed: int = LISTED,
                    directory: Path | None = None, fresh: bool = False, settle_s: float = SETTLE_S) -> Comparison:
    """The comparison of a stored run, continued from its checkpoint in ``directory`` (None: no checkpoint), with
    a progress bar on ``errors``; the checkpoint is written again after."""
    replica_arm = None if replica == "none" else replica
    key = checkpoint_key(store=masked_url(url), run=run, baseline=baseline, candidate=candidate, replica=replica_arm,
                         semantic=semantic_key(semantic), listed=listed)
    persistent = directory is not None and url not in ("sqlite://", "sqlite:///:memory:")
    with open_store(url) as store:
        live = IncrementalComparison(store, url=url, run=run, baseline=baseline, candidate=candidate,
                                     replica=replica_arm, policy=policy, name=masked_url(url), key=key,
                                     comparators=comparator_factory(semantic, vector_store=url), settle_s=settle_s,
                                     listed=listed, workers=workers if semantic is False else 1)
        path = checkpoint_path(directory, run=run, key=key) if directory is not None and persistent else None
        if path is not None and not fresh:
            why = live.resume(path)
            if why is None:
                errors.print(f"continuing the comparison of run {run!r} from {path}: {live.compared} trial(s) "
                             "compared before; comparing what arrived since", highlight=False)
            elif why != "no checkpoint yet":
                errors.print(f"[yellow]comparing the whole run:[/] {why}", highlight=False)
        before = live.compared
        columns = (TextColumn("comparing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        told = Counter[str]()
        with Progress(*columns, console=errors, transient=True) as progress:
            task = progress.add_task("compare", total=max(store.request_count(run) - live.state.items, 0))
            report = live.update(tick=functools.partial(progress.advance, task),
                                 warn=functools.partial(_warn, errors, told))
        if before:
            errors.print(f"compared {live.compared - before} new trial(s); the report covers {live.compared}",
                         highlight=False)
        if live.pending:
            errors.print(f"[yellow]{live.pending} request(s) saved in the last {settle_s:g} s still lack an answer "
                         "of the baseline or the candidate: left for the next comparison[/]", highlight=False)
        if report is None:
            raise ModelswapError(f"run {run!r}: no request has observations of both {baseline!r} and {candidate!r}"
                                 + (" yet" if live.pending else ""))
        if path is not None:
            live.save(path)
    _report_counts(report, errors)
    return report


def _warn(errors: Console, told: Counter[str], problem: Problem) -> None:
    if problem.kind in COUNTED_ONLY:
        return
    told[problem.kind] += 1
    if told[problem.kind] <= SHOWN_PROBLEMS:
        errors.print(f"[yellow]skipped[/] {problem.message}", highlight=False, soft_wrap=True)


def _report_counts(report: Comparison, errors: Console) -> None:
    """One line of what the source could not give, as today's in-memory path said it."""
    if report.source.get("skipped_lines"):
        errors.print(f"[yellow]{report.source['skipped_lines']} line(s) skipped[/]")
    problems = report.source.get("problems") or {}
    if problems.get("no_baseline") or problems.get("no_candidate"):
        errors.print(f"[yellow]{problems.get('no_baseline', 0)} request(s) lack a baseline observation and "
                     f"{problems.get('no_candidate', 0)} a candidate one; compared {report.summary.trials}[/]")
    if problems.get("before_handoff"):
        errors.print(f"[dim]{problems['before_handoff']} turn(s) up to the handoff were answered by the primary "
                     "only (record --handoff): not compared[/]")
    for kind in ("corrupt_request", "corrupt_observation"):
        if problems.get(kind):
            errors.print(f"[yellow]{problems[kind]} {kind.replace('_', ' ')} row(s) skipped[/]")
    if report.summary.trials == 0 and "pairs" in report.source:
        raise TrafficError("no valid pair", path=str(report.source["pairs"]), line=0)
    if report.summary.trials == 0:
        raise ModelswapError(f"run {report.source.get('run')!r}: no request has observations of both "
                             f"{report.baseline!r} and {report.candidate!r}")


def write_reports(report: Comparison, *, json_path: Path | None, markdown_path: Path | None, html_path: Path | None,
                  out: Console) -> None:
    for path, write in ((json_path, write_json), (html_path, write_html),
                        (markdown_path, lambda r, p: Path(p).write_text(render_markdown(r), encoding="utf-8"))):
        if path is not None:
            write(report, path)
            out.print(f"wrote {path}")


def register(app: typer.Typer, *, out: Console, err: Console, decision_exit: Any) -> None:
    """Add ``compare`` and ``gate`` to ``app``."""

    @app.command("compare")
    def compare_command(
        pairs: PairsOption = None, config: ConfigOption = None, run: RunOption = "default",
        baseline: BaselineOption = None, candidate: CandidateOption = None, replica: ReplicaOption = "auto",
        json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
        markdown_path: Annotated[Path | None, typer.Option("--markdown", help="Write a Markdown report.")] = None,
        html_path: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report.")] = None,
        gate: Annotated[str | None, typer.Option("--gate", help="Policy YAML ('default' for the shipped one); "
                                                 "exit 0 go, 1 no_go, 2 inconclusive.")] = None,
        semantic: SemanticOption = None,
        worst: Annotated[int, typer.Option(min=0, help="Worst trials to print.")] = 3,
        judge: JudgeOption = None, route: RouteOption = None, workers: WorkersOption = None,
        list_trials: ListOption = LISTED, incremental: IncrementalOption = True, fresh: FreshOption = False,
        checkpoint_dir: CheckpointDirOption = None, settle: SettleOption = SETTLE_S,
    ) -> None:
        """Compare a candidate with the baseline: findings, triage, noise floor, statistics and the gate.

        A stored run is compared incrementally: the comparison's state is kept in a checkpoint, and the next
        comparison of the same run with the same settings reads only the requests saved since."""
        policy = load_policy(None if gate in (None, "default") else gate)
        with opened_judge(config, arm=judge, route=route) as the_judge:
            if the_judge is not None:
                source = load_source(pairs=pairs, config=config, run=run, baseline=baseline, candidate=candidate,
                                     replica=replica, errors=err)
                report = run_compare(source, policy=policy, semantic=semantic, errors=err, judge=the_judge)
            elif pairs is None and baseline and candidate:
                report = run_incremental(load_settings(config).store, run=run, baseline=baseline,
                                         candidate=candidate, replica=replica, policy=policy, semantic=semantic,
                                         errors=err, workers=workers, listed=list_trials, fresh=fresh,
                                         directory=checkpoint_directory(checkpoint_dir) if incremental else None,
                                         settle_s=settle)
            else:
                with opened_source(pairs=pairs, config=config, run=run, baseline=baseline, candidate=candidate,
                                   replica=replica) as source:
                    report = run_compare(source, policy=policy, semantic=semantic, errors=err, workers=workers,
                                         listed=list_trials)
        report = with_agreement(report, pairs)
        render_terminal(out, report, worst=worst)
        write_reports(report, json_path=json_path, markdown_path=markdown_path, html_path=html_path, out=out)
        if gate is not None:
            decision_exit(report.gate.exit_code)

    @app.command("gate")
    def gate_command(
        report_path: Annotated[Path | None, typer.Option("--report", help="Gate a saved JSON report again.")] = None,
        policy_path: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: the shipped one: "
                                                         f"{default_policy_path().name}).")] = None,
        pairs: PairsOption = None, config: ConfigOption = None, run: RunOption = "default",
        baseline: BaselineOption = None, candidate: CandidateOption = None, replica: ReplicaOption = "auto",
        semantic: SemanticOption = None, workers: WorkersOption = None,
    ) -> None:
        """Decide go / no_go / inconclusive; exit 0, 1 or 2."""
        policy = load_policy(policy_path)
        if report_path is not None:
            summary = _summary_of(report_path)
        else:
            with opened_source(pairs=pairs, config=config, run=run, baseline=baseline, candidate=candidate,
                               replica=replica) as source:
                summary = run_compare(source, policy=policy, semantic=semantic, errors=err, workers=workers).summary
        result = evaluate(summary, policy)
        render_gate(out, result)
        decision_exit(result.exit_code)


def _summary_of(path: Path) -> Summary:
    try:
        data = orjson.loads(path.read_bytes())
        return Summary.from_json(data["summary"])
    except OSError as exc:
        raise ModelswapError(f"{path}: cannot read: {exc.strerror}") from None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ModelswapError(f"{path}: not a modelswap.report/v1 file ({type(exc).__name__}: {exc})") from None
