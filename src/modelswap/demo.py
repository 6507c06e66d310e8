"""The demo: the main job on the embedded default (real local models, a SQLite file).

What it is: ``modelswap demo``. It writes a config to the work directory, records the
shipped demo traffic through SmolLM2-135M-Instruct twice (primary and replica) and
through Gemma 3 270M (candidate) at the same time, one core each, then prints what it
stored, compares the candidate with the primary (the replica gives the noise floor), gates the
result with the default policy and writes report.html, report.json and report.md.
Rerunning resumes: what is stored is not recomputed.
What it is not: a fixture for tests; it needs the ``[local]`` extra and takes minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from rich.console import Console

from modelswap.backends import Backend, build_backend
from modelswap.cli_compare import Source, run_compare, write_reports
from modelswap.compare.gate import load_policy
from modelswap.compare.source import trials_from_store
from modelswap.compare.stream import ListSource
from modelswap.config import Settings, load_settings
from modelswap.progress import ArmProgress, record_progress
from modelswap.record import RecordResult, record
from modelswap.recording import redactor_for
from modelswap.report.terminal import render_terminal
from modelswap.report_stored import render_stored
from modelswap.store import Store, open_store
from modelswap.traffic import load_traffic
from modelswap.types import ChatRequest

RUN = "demo"
PRIMARY = "smol"
CANDIDATE = "gemma"

CONFIG = """\
# Written by `modelswap demo`. Reuse it: modelswap show -c {workdir}/modelswap.yaml --run demo
store: sqlite:///{workdir}/modelswap.db
arms:
  smol:  {{backend: local, model: smollm2-135m, n_threads: 1}}
  # Gemma 3 270M is a base model: as a chat arm it echoes, so it answers through a completion prompt.
  gemma: {{backend: local, model: gemma3-270m, n_threads: 1, completion_template: "Question: {{prompt}}\\nAnswer:",
          params: {{stop: ["\\nQuestion:", "Question:"]}}}}
routes:
  demo-bot:
    primary: smol
    candidates: [gemma]
"""


def demo_traffic_path() -> Path:
    """The demo traffic shipped inside the package."""
    return Path(str(resources.files("modelswap") / "data" / "demo_traffic.jsonl"))


def write_config(workdir: Path) -> Path:
    """Write the demo's config into ``workdir`` and return its path."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "modelswap.yaml"
    path.write_text(CONFIG.format(workdir=workdir.resolve()), encoding="utf-8")
    return path


def run_demo(workdir: Path, *, console: Console, errors: Console, limit: int | None = None) -> None:
    """Record both local models on the demo traffic and print what was stored."""
    config = write_config(workdir)
    settings = load_settings(config)
    traffic = load_traffic(demo_traffic_path())
    requests = traffic.requests[:limit] if limit else traffic.requests
    console.print(f"[bold]modelswap demo[/]: {len(requests)} requests from {demo_traffic_path().name}; "
                  f"primary [bold]{PRIMARY}[/] (SmolLM2-135M-Instruct, twice: primary + replica), "
                  f"candidate [bold]{CANDIDATE}[/] (Gemma 3 270M); store {settings.store}")
    with record_progress(errors) as add_line:
        results = asyncio.run(_record_both(settings, requests, add_line))
    for result in results:
        console.print(f"recorded {result.recorded} new observation(s) of {result.arm} "
                      f"({result.errors} error(s), {result.already_recorded} already stored) "
                      f"in {result.elapsed_s:.0f} s")
    with open_store(settings.store) as store:
        render_stored(console, store, run=RUN, examples=3)
        stored = trials_from_store(store, run=RUN, baseline=PRIMARY, candidate=CANDIDATE, replica="auto")
    console.rule("comparison: Gemma 3 270M (candidate) against SmolLM2 (primary), noise floor from the replica")
    source = Source(trials=ListSource(stored.trials, info={"run": RUN}), baseline=PRIMARY, candidate=CANDIDATE,
                    replica=stored.replica)
    report = run_compare(source, policy=load_policy(), semantic=None, errors=errors)
    render_terminal(console, report, worst=3)
    html = workdir / "report.html"
    write_reports(report, json_path=workdir / "report.json", markdown_path=workdir / "report.md", html_path=html,
                  out=console)
    console.print(f"\ndecision: [bold]{report.gate.decision}[/]  report: {html.resolve()}")
    console.print(f"again: modelswap compare -c {config} --run {RUN} --baseline {PRIMARY} --candidate {CANDIDATE} "
                  f"--html {html}")


async def _record_both(settings: Settings, requests: Sequence[ChatRequest],
                       add_line: Callable[[str, str], ArmProgress]) -> list[RecordResult]:
    store = open_store(settings.store)
    try:
        jobs = []
        for arm, repeat in ((PRIMARY, 2), (CANDIDATE, 1)):
            backend = build_backend(arm, settings.arm(arm))
            line = add_line(arm, RUN)
            jobs.append(_record_one(backend, store, requests, settings, repeat, line))
        return list(await asyncio.gather(*jobs))
    finally:
        store.close()


async def _record_one(backend: Backend, store: Store, requests: Sequence[ChatRequest], settings: Settings,
                      repeat: int, line: ArmProgress) -> RecordResult:
    try:
        return await record(requests, backend, store, run=RUN, role=settings.role_of(backend.arm), repeat=repeat,
                            concurrency=1, on_observation=line.on_observation, on_plan=line.on_plan,
                            redactor=redactor_for(settings))
    finally:
        await backend.aclose()
