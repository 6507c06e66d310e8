"""The ``modelswap`` command line.

What it is: argument parsing, progress bars and tables around the library. Every
``ModelswapError`` becomes one red line on stderr and exit code 3. What it is not: logic
that a library user would need; each command calls into a module that does the work.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console

from modelswap import __version__
from modelswap.backends import Backend, build_backend
from modelswap.cli_compare import register as register_compare
from modelswap.cli_embeddings import register as register_embeddings
from modelswap.cli_prompts import register as register_prompts
from modelswap.cli_rollout import register as register_rollout
from modelswap.cli_watch import register as register_watch
from modelswap.config import Settings, load_settings
from modelswap.errors import ModelswapError
from modelswap.progress import ArmProgress, record_progress
from modelswap.record import RecordResult, record
from modelswap.recording import redactor_for
from modelswap.report_stored import render_stored
from modelswap.store import Store, open_store
from modelswap.traffic import Traffic, load_traffic

EXIT_BAD_INPUT = 3
EXIT_INTERRUPTED = 130

app = typer.Typer(name="modelswap", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Swap the LLM under a running product without breaking it.")
sim_app = typer.Typer(no_args_is_help=True, help="The simulator arm: a seeded model with configurable quirks.")
app.add_typer(sim_app, name="sim")

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (default: "
                         "$MODELSWAP_CONFIG or ./modelswap.yaml)")]
RunOption = Annotated[str, typer.Option("--run", help="Name of the run the observations belong to.")]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command("record")
def record_command(
    traffic: Annotated[Path, typer.Option("--traffic", "-t", help="Traffic JSONL to replay.")],
    arm: Annotated[str, typer.Option("--arm", "-a", help="Arm (from the config) to run the traffic through.")],
    config: ConfigOption = None,
    run: RunOption = "default",
    repeat: Annotated[int, typer.Option(min=1, help="Samples per request; 2 on the primary records the replica.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 8,
    retry_errors: Annotated[bool, typer.Option(help="Re-run requests whose stored observation is an error.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N requests of the traffic.")] = None,
    handoff: Annotated[int | None, typer.Option(min=0, help="Replay each line as a conversation, turn by turn, "
                                                "one stored request per turn (id <id>#t<turn>): the primary "
                                                "answers every turn; another ARM takes over after turn K from "
                                                "the primary's stored answers.")] = None,
    primary: Annotated[str | None, typer.Option(help="With --handoff: the primary arm whose answers ARM takes "
                                                "over from (default: the primary of the route ARM is a "
                                                "candidate of); ARM itself: record ARM as the primary.")] = None,
) -> None:
    """Run TRAFFIC through ARM and store one observation per request (resumable)."""
    settings = load_settings(config)
    if handoff is not None:
        _print_result(_record_handoff(settings, traffic, arm=arm, run=run, handoff=handoff, primary=primary,
                                      repeat=repeat, concurrency=concurrency, retry_errors=retry_errors,
                                      limit=limit))
        return
    if primary is not None:
        fail("--primary: only with --handoff")
    loaded = _load_traffic(traffic, limit)
    result = _record(settings, loaded, arm=arm, run=run, repeat=repeat, concurrency=concurrency,
                     retry_errors=retry_errors)
    _print_result(result)


def _load_traffic(path: Path, limit: int | None) -> Traffic:
    loaded = load_traffic(path)
    for error in loaded.errors[:20]:
        err.print(f"[yellow]skipped[/] {error}", highlight=False, soft_wrap=True)
    if loaded.skipped > 20:
        err.print(f"[yellow]... and {loaded.skipped - 20} more bad lines[/]")
    if loaded.skipped:
        err.print(f"[yellow]{loaded.skipped} line(s) skipped, {len(loaded.requests)} request(s) read from {path}[/]")
    if not loaded.requests:
        fail(f"{path}: no valid request")
    if limit is not None:
        return Traffic(path=loaded.path, requests=loaded.requests[:limit], errors=loaded.errors)
    return loaded


def _record(settings: Settings, traffic: Traffic, *, arm: str, run: str, repeat: int, concurrency: int,
            retry_errors: bool) -> RecordResult:
    backend = build_backend(arm, settings.arm(arm))
    store = open_store(settings.store)
    return _recording(settings, arm=arm, run=run, backend=backend, store=store, start=lambda line: record(
        traffic.requests, backend, store, run=run, role=settings.role_of(arm), repeat=repeat,
        concurrency=concurrency, retry_errors=retry_errors, on_observation=line.on_observation,
        on_plan=line.on_plan, redactor=redactor_for(settings)))


def _recording(settings: Settings, *, arm: str, run: str, backend: Backend, store: Store,
               start: Callable[[ArmProgress], Awaitable[RecordResult]]) -> RecordResult:
    """Run one recording with its progress line, then close the arm and the store; Ctrl-C says what is kept."""

    async def go(line: ArmProgress) -> RecordResult:
        try:
            return await start(line)
        finally:
            await backend.aclose()

    try:
        with record_progress(err) as add_line:
            return asyncio.run(go(add_line(arm, run)))
    except KeyboardInterrupt:
        fail(f"interrupted: every finished observation is stored in {settings.store}; "
             "rerun the same command to resume", EXIT_INTERRUPTED)
    finally:
        store.close()


def _print_result(result: RecordResult) -> None:
    out.print(f"[bold green]recorded[/] {result.recorded} observation(s) of arm [bold]{result.arm}[/] in run "
              f"[bold]{result.run}[/] ({result.errors} error(s), {result.already_recorded} already stored) "
              f"in {result.elapsed_s:.1f} s", highlight=False)
    if result.blocked:
        err.print(f"[yellow]{result.blocked} turn(s) not asked: an answer they build on failed or is not stored "
                  "yet (record the primary first; --retry-errors asks failed answers again)[/]", highlight=False)


def _record_handoff(settings: Settings, traffic: Path, *, arm: str, run: str, handoff: int, primary: str | None,
                    repeat: int, concurrency: int, retry_errors: bool, limit: int | None) -> RecordResult:
    from modelswap.handoff import load_conversations, record_handoff

    loaded = load_conversations(traffic)
    for error in loaded.errors[:20]:
        err.print(f"[yellow]skipped[/] {error}", highlight=False, soft_wrap=True)
    if loaded.errors:
        err.print(f"[yellow]{len(loaded.errors)} line(s) skipped, {len(loaded.conversations)} conversation(s) read "
                  f"from {traffic}[/]")
    if not loaded.conversations:
        fail(f"{traffic}: no valid conversation")
    conversations = loaded.conversations[:limit] if limit is not None else loaded.conversations
    role = "primary" if primary == arm else settings.role_of(arm)
    source = None if role == "primary" else (primary or _primary_of(settings, arm))
    if source is not None:
        settings.arm(source)
    backend = build_backend(arm, settings.arm(arm))
    store = open_store(settings.store)
    return _recording(settings, arm=arm, run=run, backend=backend, store=store, start=lambda line: record_handoff(
        conversations, backend, store, run=run, role=role, handoff=handoff, primary=source, repeat=repeat,
        concurrency=concurrency, retry_errors=retry_errors, on_observation=line.on_observation,
        on_plan=line.on_plan, redactor=redactor_for(settings)))


def _primary_of(settings: Settings, arm: str) -> str:
    """The primary of the routes ``arm`` is a candidate of, when they agree on one."""
    primaries = sorted({route.primary for route in settings.routes.values() if arm in route.candidates})
    if len(primaries) != 1:
        found = f"routes name {', '.join(primaries)} as its primary" if primaries else "no route has it as a candidate"
        fail(f"--handoff: arm {arm!r} is not a primary and {found}; say which with --primary ARM")
    return primaries[0]


@app.command("show")
def show_command(
    config: ConfigOption = None,
    run: RunOption = "default",
    examples: Annotated[int, typer.Option(min=0, help="Trials to print side by side.")] = 5,
) -> None:
    """Print what a run stored: counts per arm and sample, and some trials side by side."""
    settings = load_settings(config)
    with open_store(settings.store) as store:
        render_stored(out, store, run=run, examples=examples)


@app.command("serve")
def serve_command(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    max_body_bytes: Annotated[int, typer.Option(min=1, help="Largest request body accepted (413 beyond).")]
        = 1024 * 1024,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; each keeps its own shadow budget, "
                                                     "queues and metrics.")] = 1,
) -> None:
    """Serve the OpenAI-compatible shadow gateway: clients call a route as their model."""
    import os

    import uvicorn

    from modelswap.config import DEFAULT_PATH, ENV_CONFIG
    from modelswap.gateway import create_app
    from modelswap.gateway.app import ENV_MAX_BODY_BYTES
    from modelswap.serving import serve_forever

    settings = load_settings(config)
    err.print(f"gateway on http://{host}:{port}/v1 (routes: {', '.join(sorted(settings.routes)) or 'none'}; "
              f"store {settings.store}; {workers} worker(s)); Ctrl-C stops it")
    if workers == 1:
        serve_forever(create_app(settings, max_body_bytes=max_body_bytes), host=host, port=port)
        return
    # each worker process builds its own app from the environment (uvicorn needs an import string)
    os.environ[ENV_CONFIG] = str(Path(config or os.environ.get(ENV_CONFIG) or DEFAULT_PATH).resolve())
    os.environ[ENV_MAX_BODY_BYTES] = str(max_body_bytes)
    uvicorn.run("modelswap.gateway.app:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level="warning", access_log=False, lifespan="on")


@sim_app.command("serve")
def sim_serve_command(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    seed: Annotated[int, typer.Option(help="Seed of every random decision.")] = 0,
    quirks: Annotated[str, typer.Option(help='Quirk rates as JSON, e.g. \'{"json_fence_rate": 0.3}\'.')] = "{}",
    model: Annotated[str, typer.Option(help="Model name the server reports.")] = "sim",
) -> None:
    """Serve the simulator as an OpenAI-compatible endpoint (POST /v1/chat/completions)."""
    from pydantic import ValidationError

    from modelswap.serving import serve_forever
    from modelswap.sim.quirks import Quirks
    from modelswap.sim.server import create_sim_app

    try:
        parsed = Quirks.model_validate(orjson.loads(quirks))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        fail(f"--quirks: {str(exc).splitlines()[0] if isinstance(exc, orjson.JSONDecodeError) else _first(exc)}")
    err.print(f"simulator on http://{host}:{port}/v1 (seed {seed}); Ctrl-C stops it")
    serve_forever(create_sim_app(seed=seed, quirks=parsed, model=model), host=host, port=port)


def _first(exc: object) -> str:
    errors = exc.errors()  # type: ignore[attr-defined]
    first = errors[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


@app.command("demo")
def demo_command(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its store and reports.")] = Path("demo-out"),
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N demo requests.")] = None,
) -> None:
    """Record SmolLM2 (twice: primary and replica) and Gemma 3 270M on the shipped demo traffic."""
    from modelswap.demo import run_demo

    run_demo(workdir, console=out, errors=err, limit=limit)


@app.command("version")
def version_command() -> None:
    """Print the version."""
    out.print(f"modelswap {__version__}")


class DecisionExit(Exception):
    """Raised by gate commands to exit with the decision's code (0 go, 1 no_go, 2 inconclusive)."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(code)


def _decision_exit(code: int) -> NoReturn:
    raise DecisionExit(code)


register_compare(app, out=out, err=err, decision_exit=_decision_exit)
register_rollout(app, out=out, err=err)
register_prompts(app, out=out, err=err)
register_embeddings(app, out=out, err=err, decision_exit=_decision_exit)
register_watch(app, out=out, err=err, decision_exit=_decision_exit)


def main() -> None:
    """Entry point: modelswap errors become one line and exit 3; usage errors exit 3 too (2 means inconclusive)."""
    try:
        app(prog_name="modelswap")
    except DecisionExit as decision:
        sys.exit(decision.code)
    except ModelswapError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_BAD_INPUT)
    except SystemExit as exc:
        sys.exit(EXIT_BAD_INPUT if exc.code == 2 else exc.code)
