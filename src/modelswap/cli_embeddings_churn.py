"""The ``embeddings reembed`` and ``embeddings churn`` commands: fill a candidate index, then judge the swap.

What it is: ``modelswap embeddings reembed NAME --corpus SPEC --model e5|minilm [--yes]`` (the
corpus embedded into the index NAME at ``--indexes``: the estimate first, then resumable batches
under a progress bar) and ``modelswap embeddings churn --old NAME --new NAME --probes SPEC
[--noise NAME] [--json | --markdown]`` (each index's probes embedded by the model its fingerprint
names, searched, compared; the tables, the mapped thresholds, the most changed queries and the
gate; exit 0 go, 1 no_go, 2 inconclusive). What it is not: the report's rules (``modelswap.embeddings``).

Probe specs: ``chatterbot:en,ja`` (the corpus's questions, labelled with their answers), a JSONL
file of probes (``{"id"?, "text", "lang"?, "segment"?, "relevant"?}``, what the gateway records),
``sample:N`` (N documents of ``--corpus`` as queries, unlabelled), or ``route:NAME`` (the probes file
the gateway's embeddings shadow of route NAME writes, from ``-c modelswap.yaml``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from modelswap.compare.embedding import E5_NAME, MINILM_NAME
from modelswap.config import load_settings
from modelswap.embeddings.churn_gate import EXIT_CODES, ChurnPolicy
from modelswap.embeddings.churn_report import build_report, report_json, report_markdown
from modelswap.embeddings.corpus import Corpus, load_corpus
from modelswap.embeddings.fingerprint import Fingerprint
from modelswap.embeddings.index import VectorIndex, VectorIndexError, open_index
from modelswap.embeddings.models import MODELS, RetrievalModel, retrieval_model
from modelswap.embeddings.probes import Probe, Ranked, rankings, read_probe_file, sample_probes
from modelswap.embeddings.reembed import estimate, plan, reembed
from modelswap.errors import ConfigError

IndexesOption = Annotated[str, typer.Option("--indexes", envvar="MODELSWAP_INDEXES",
                                            help="Where the indexes are: a directory (embedded) or a "
                                                 "postgresql:// URL (pgvector).")]
DEFAULT_INDEXES = "modelswap-indexes"
MODEL_OF = {MINILM_NAME: "minilm", E5_NAME: "e5"}


def register(embeddings_app: typer.Typer, *, out: Console, decision_exit: Callable[[int], NoReturn]) -> None:
    """Add ``reembed`` and ``churn`` to the ``embeddings`` group."""

    def say(line: str) -> None:
        out.print(line, markup=False, highlight=False, soft_wrap=True)

    @embeddings_app.command("reembed")
    def reembed_command(
        name: Annotated[str, typer.Argument(metavar="NAME", help="The index to fill (created when missing).")],
        corpus: Annotated[str, typer.Option("--corpus", help="chatterbot:en,ja or a JSONL file of documents.")],
        model: Annotated[str, typer.Option("--model", help=f"One of {', '.join(MODELS)}.")],
        indexes: IndexesOption = DEFAULT_INDEXES,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Start without asking after the estimate.")] = False,
        batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Documents per batch.")] = 256,
    ) -> None:
        """Embed a corpus into index NAME with a model: estimate, then resumable batches."""
        documents = load_corpus(corpus).documents
        chosen = retrieval_model(model)
        index = open_index(indexes, name, chosen.fingerprint)
        todo = plan(documents, index)
        if not todo:
            say(f"{name}: all {len(documents):,} documents are in the index already")
            return
        warmed = estimate(documents, todo, chosen.passage, dimensions=chosen.fingerprint.dimensions,
                          counter=chosen.passage_tokens)
        say(f"{name} ({chosen.fingerprint.describe()}): {warmed.estimate.describe()}")
        if not yes and not typer.confirm("start?", default=True):
            raise typer.Exit(0)
        columns = (TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn())
        # pgvector: an HNSW index kept up to date row by row is about 25x slower than one build after the load, so
        # a load into an empty index builds it once at the end (a resumed load too: build() adds it if missing)
        bulk = getattr(index, "build", None)
        if bulk is not None and len(index) == 0:
            index.defer_index()  # type: ignore[attr-defined]
        with Progress(*columns, console=out) as progress:
            task = progress.add_task(name, total=len(todo))
            result = reembed(todo, chosen.passage, index, chosen.fingerprint, batch_size=batch_size, warmed=warmed,
                             on_batch=lambda n: progress.advance(task, n))
        if bulk is not None:
            say(f"{name}: building the HNSW index over {len(index):,} rows")
            bulk()
        rate = result.written / result.seconds if result.seconds > 0 else 0.0
        say(f"{name}: {result.written:,} documents written in {result.seconds:,.1f} s ({rate:,.0f}/s), "
            f"{len(index):,} in the index")

    @embeddings_app.command("churn")
    def churn_command(
        old: Annotated[str, typer.Option("--old", help="The index serving today.")],
        new: Annotated[str, typer.Option("--new", help="The candidate index.")],
        probes: Annotated[str, typer.Option("--probes", help="chatterbot:en,ja, a JSONL file, sample:N "
                                                             "(with --corpus) or route:NAME.")],
        indexes: IndexesOption = DEFAULT_INDEXES,
        corpus: Annotated[str | None, typer.Option("--corpus", help="The documents' texts (for sample:N and to "
                                                                   "show the changed queries).")] = None,
        noise: Annotated[str | None, typer.Option("--noise", help="The old model's index rebuilt (the noise "
                                                                 "floor).")] = None,
        k: Annotated[int, typer.Option("-k", min=1, help="Depth compared.")] = 10,
        p: Annotated[float, typer.Option("--rbo-p", min=0.01, max=0.99, help="RBO's persistence.")] = 0.9,
        margin: Annotated[float, typer.Option("--margin", min=0.0, help="Non-inferiority margin.")] = 0.02,
        min_queries: Annotated[int, typer.Option("--min-queries", min=1)] = 30,
        threshold: Annotated[list[float] | None, typer.Option("--threshold", help="An old similarity "
                                                                                 "threshold to map.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
        as_markdown: Annotated[bool, typer.Option("--markdown", help="The report as Markdown.")] = False,
        config: Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (for route:NAME).")]
            = None,
    ) -> None:
        """Compare the rankings of two indexes on probe queries; print the tables and the gate."""
        texts = load_corpus(corpus) if corpus else None
        chosen = _probes(_route_probes(probes, config), texts)
        ranked: dict[str, Ranked] = {}
        for role, name in (("old", old), ("new", new), ("noise", noise)):
            if name is not None:
                index = open_index(indexes, name, create=False)
                ranked[role] = _search(index, chosen, k)
        report = build_report(chosen, ranked["old"], ranked["new"], noise=ranked.get("noise"),
                              texts=(texts.texts() if texts else None) or _corpus_texts(probes), old_name=old,
                              new_name=new, k=k, p=p, policy=ChurnPolicy(margin=margin, min_queries=min_queries),
                              thresholds=threshold)
        if as_json:
            out.print_json(orjson.dumps(report_json(report)).decode())
        elif as_markdown:
            say(report_markdown(report))
        else:
            say(report_markdown(report, show_top=3))
        decision_exit(EXIT_CODES[report.decision])


def _probes(spec: str, corpus: Corpus | None) -> list[Probe]:
    if spec.startswith("chatterbot:"):
        return list(load_corpus(spec).probes)
    if spec.startswith("sample:"):
        if corpus is None:
            raise VectorIndexError(f"--probes {spec}: sample:N needs --corpus (the documents to sample)")
        count = spec.removeprefix("sample:")
        if not count.isdigit() or int(count) < 1:
            raise VectorIndexError(f"--probes {spec}: expected sample:N with N >= 1")
        return sample_probes(corpus.documents, int(count))
    return read_probe_file(Path(spec))


def _route_probes(spec: str, config: Path | None) -> str:
    """``route:NAME`` as the probes file its gateway embeddings shadow writes; any other spec as it is."""
    if not spec.startswith("route:"):
        return spec
    name = spec.removeprefix("route:")
    route = load_settings(config).routes.get(name)
    if route is None or route.embeddings is None:
        raise ConfigError(f"--probes {spec}: no route {name!r} with an embeddings shadow in the configuration",
                          key=f"routes.{name}.embeddings")
    return route.embeddings.probes


def _corpus_texts(spec: str) -> dict[str, str] | None:
    return load_corpus(spec).texts() if spec.startswith("chatterbot:") else None


def model_for(fingerprint: Fingerprint) -> RetrievalModel:
    """The local model whose fingerprint an index has (refused when the index was built by another)."""
    name = MODEL_OF.get(fingerprint.model)
    model = retrieval_model(name) if name else None
    if model is None or model.fingerprint != fingerprint:
        raise VectorIndexError(f"no local model has the fingerprint {fingerprint.describe()} (known: "
                               f"{', '.join(MODELS)}); embed the probes with that model to compare it")
    return model


def _search(index: VectorIndex, probes: list[Probe], k: int) -> Ranked:
    model = model_for(index.fingerprint)
    vectors = model.query.embed([probe.text for probe in probes])
    return rankings(probes, vectors, index, k, fingerprint=model.fingerprint)
