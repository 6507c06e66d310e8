"""Re-embedding throughput against the model's raw encoding speed, on chatterbot-corpus's answers.

For each model: a fresh embedder (its own empty memory cache) embeds the documents in one
``embed`` call per batch and nothing else (``raw``); then another fresh embedder re-embeds the
same documents through ``modelswap.embeddings.reembed`` into a new embedded index (the warm-up
estimate, batches, index writes: ``reembed``). The model is loaded on a few texts before either
clock starts. The ratio reembed / raw texts per second is what re-embedding costs over encoding.
Run by hand:

    .venv/bin/python bench/reembed.py [--model e5 minilm] [--langs en,ja] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from modelswap.embeddings.corpus import load_chatterbot
from modelswap.embeddings.index import open_index
from modelswap.embeddings.models import retrieval_model
from modelswap.embeddings.reembed import estimate, plan, reembed


def measure(name: str, langs: list[str], batch_size: int) -> None:
    documents = list(load_chatterbot(langs).documents)
    texts = [doc.text for doc in documents]
    raw_model = retrieval_model(name)
    raw_model.passage.embed(["warm up the model", "and its thread pool"])
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        raw_model.passage.embed(texts[start:start + batch_size])
    raw_s = time.perf_counter() - started
    model = retrieval_model(name)
    model.passage.embed(["load the model", "before the clock"])
    with tempfile.TemporaryDirectory() as root:
        index = open_index(root, "bench", model.fingerprint)
        started = time.perf_counter()
        todo = plan(documents, index)
        warmed = estimate(documents, todo, model.passage, dimensions=model.fingerprint.dimensions)
        result = reembed(todo, model.passage, index, model.fingerprint, batch_size=batch_size, warmed=warmed)
        total_s = time.perf_counter() - started
    raw_rate, rate = len(texts) / raw_s, result.written / total_s
    print(f"{name}: {len(texts)} documents; raw {raw_rate:,.0f} texts/s ({raw_s:.1f} s); reembed {rate:,.0f} texts/s "
          f"({total_s:.1f} s, estimate {warmed.estimate.seconds:.1f} s); ratio {rate / raw_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["e5", "minilm"])
    parser.add_argument("--langs", default="en,ja")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    for name in args.model:
        measure(name, args.langs.split(","), args.batch_size)


if __name__ == "__main__":
    main()
