"""The judgement on real models, read from a store that tests/test_judgement_real.py recorded.

For each scenario (the primary ``smol`` against ``gemma-chat``, ``smol-twin`` and ``smol-20``, the
replica being the primary's sample 1) it prints the gate's decision, the verdict counts, the
flagged share (regression or novel), the decisive checks counted over flagged trials, the gate's
failed or inconclusive checks, and one line per trial: verdict, decisive checks and the first 60
characters of the candidate's answer. Nothing is recorded here; record first with

    MODELSWAP_REAL_STORE=/tmp/real/judgement.db .venv/bin/pytest -q -p no:cacheprovider -m slow \\
        tests/test_judgement_real.py
    .venv/bin/python bench/judgement_real.py --store /tmp/real/judgement.db [--run judgement] [--no-semantic] [--quiet]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections import Counter
from pathlib import Path

from modelswap.compare.checks import default_comparators
from modelswap.compare.comparison import Comparison
from modelswap.compare.gate import load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.source import trials_from_store
from modelswap.store import open_store

RUN = "judgement"
BASELINE = "smol"
SCENARIOS = {"gemma-chat": "no_go, >= 80% flagged, each with a decisive finding",
             "smol-twin": "not no_go, <= 10% flagged",
             "smol-20": "no_go, >= 50% flagged"}
FLAGGED = ("regression", "novel")


def show(report: Comparison, *, expected: str, per_trial: bool) -> None:
    flagged = [t for t in report.triaged if t.verdict in FLAGGED]
    verdicts = Counter(t.verdict for t in report.triaged)
    decisive = Counter(f.check for t in flagged for f in t.decisive)
    print(f"\n## {BASELINE} vs {report.candidate} (expected: {expected})")
    print(f"decision: {report.gate.decision}")
    print(f"verdicts: {dict(verdicts.most_common())}")
    print(f"flagged: {len(flagged)}/{len(report.triaged)} = {len(flagged) / len(report.triaged):.0%}; "
          f"flagged without a decisive finding: {sum(not t.decisive for t in flagged)}")
    print(f"decisive checks over flagged trials: {dict(decisive.most_common())}")
    for check in report.gate.checks:
        if check.outcome in ("fail", "inconclusive"):
            print(f"gate {check.outcome}: {check.name}: {check.reason}")
    if not per_trial:
        return
    for t in report.triaged:
        checks = ",".join(sorted({f"{f.check}[{f.severity}]" for f in t.decisive})) or "-"
        answer = t.compared.trial.candidate.text[:60].replace("\n", "⏎")
        print(f"  {t.compared.trial.id:<16} {t.verdict:<11} {checks:<48} {answer!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="the SQLite file the slow test recorded into")
    parser.add_argument("--run", default=RUN, help=f"the recorded run (default {RUN})")
    parser.add_argument("--no-semantic", action="store_true", help="leave semantic similarity out (faster)")
    parser.add_argument("--quiet", action="store_true", help="no line per trial")
    args = parser.parse_args()
    if not args.store.is_file():
        parser.error(f"--store {args.store}: no such file (record it with tests/test_judgement_real.py)")
    print(f"# judgement on real models: store {args.store}, run {args.run}, at {_commit()}")
    started = time.perf_counter()
    default = load_policy()  # without its latency check, as in the test: the arms recorded side by side
    policy = default.model_copy(update={"checks": tuple(c for c in default.checks if c.metric != "latency_p95_ratio")})
    with open_store(f"sqlite:///{args.store}") as store:
        for candidate, expected in SCENARIOS.items():
            stored = trials_from_store(store, run=args.run, baseline=BASELINE, candidate=candidate, replica="auto")
            report = compare_trials(stored.trials, baseline=BASELINE, candidate=candidate, replica=stored.replica,
                                    policy=policy,
                                    comparators=default_comparators(semantic=not args.no_semantic))
            show(report, expected=expected, per_trial=not args.quiet)
    print(f"\n({time.perf_counter() - started:.0f} s)")


def _commit() -> str:
    """The checked-out commit, and whether the source differs from it (the figures then match no commit)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout.strip()

    dirty = git("status", "--porcelain", "--", "src")
    return (git("log", "-1", "--format=%h %s")[:100] or "unknown commit") + (
        " (plus uncommitted changes in src/)" if dirty else "")


if __name__ == "__main__":
    main()
