"""The prompt matrix: prompts × models, pass / partial / fail on the contracts, and the prompt history.

What it is: ``build_matrix``, read from the store. A row is a prompt (a traffic category, or a
prompt file's name for its cases' run ``prompt~NAME``) with one of its variants: ``recorded`` (the
prompt each arm was recorded with) or a variant ``prompts try`` stored under ``RUN~try~VARIANT``. A
column is an arm. A cell judges that arm's answers (sample 0) on that row's requests two ways:
against each request's ``expect`` (the contract: ``modelswap.prompts.contract``, the comparators
compare uses against the ideal answer), and, for an arm that is not the run's primary, against
the primary's recorded answers (the comparison ``compare`` runs, noise floor included: the trials
that are not regressions). Its status is read from the comparison with the primary when there is
one (what a swap must keep), else from the contract: ``pass`` when at least ``PASS_RATE`` of the
answers are good, ``partial`` from ``PARTIAL_RATE``, ``fail`` below, ``unchecked`` when neither
applies; with the worst examples (answers that broke their contract, and why). The history is every pushed version of
every prompt: when, by whom, the model keys it has and the ones that changed since the version
before, and each key's variant status. What it is not: a comparison with the primary (``prompts
try`` ranks variants by regression rate), nor its rendering (``modelswap.report.prompt_matrix``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.model import Outcome
from modelswap.compare.pipeline import compare_trials
from modelswap.prompts.contract import check_contract, contract_comparators
from modelswap.prompts.tryout import TRY_SEPARATOR, pair_trials
from modelswap.store import Store
from modelswap.types import ChatRequest, StoredObservation

PASS_RATE = 0.9
PARTIAL_RATE = 0.75
RECORDED = "recorded"
CellStatus = Literal["pass", "partial", "fail", "unchecked"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Example:
    """One answer that broke its contract, and why."""

    trial_id: str
    output: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Cell:
    """One arm on one prompt variant: how many answers were checked, how many met their contract."""

    prompt: str
    variant: str
    arm: str
    run: str
    answers: int
    checked: int
    passed: int
    worst: tuple[Example, ...] = ()
    versus: str | None = None
    """The primary this arm was compared with (None: the arm is the primary, or no primary was recorded)."""
    compared: int = 0
    regressions: int = 0

    @property
    def status(self) -> CellStatus:
        good, total = (self.compared - self.regressions, self.compared) if self.compared else (self.passed,
                                                                                                self.checked)
        if not total:
            return "unchecked"
        rate = good / total
        return "pass" if rate >= PASS_RATE else "partial" if rate >= PARTIAL_RATE else "fail"


@dataclass(frozen=True, kw_only=True, slots=True)
class VersionEntry:
    """One pushed version of a prompt: when, by whom, which model keys it has, which changed, their statuses."""

    name: str
    hash: str
    created_at: float
    created_by: str
    keys: tuple[str, ...]
    changed: tuple[str, ...]
    statuses: tuple[tuple[str, str, float, str], ...]
    """(model key, status, when, by)."""
    why: tuple[tuple[str, str], ...] = ()
    """(model key, why) for the changed keys whose variant says why it exists."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Matrix:
    """The rows (prompt, variant), the arms, the cells and the history."""

    rows: tuple[tuple[str, str], ...]
    arms: tuple[str, ...]
    cells: dict[tuple[str, str, str], Cell]
    history: tuple[VersionEntry, ...]

    def cell(self, prompt: str, variant: str, arm: str) -> Cell | None:
        return self.cells.get((prompt, variant, arm))


def build_matrix(store: Store, *, runs: Sequence[str] | None = None, worst: int = 2,
                 semantic: bool | None = None) -> Matrix:
    """The matrix of ``runs`` and their ``~try~`` runs (every run when None), and the whole prompt history;
    ``semantic`` as ``compare``'s option."""
    every = store.runs()
    base = [r for r in (runs if runs else every) if TRY_SEPARATOR not in r]
    cells: dict[tuple[str, str, str], Cell] = {}
    for run in base:
        requests = store.requests(run)
        recorded = store.observations(run)
        primaries = sorted({s.key.arm for s in recorded if s.role == "primary"})
        primary = primaries[0] if len(primaries) == 1 else None
        baseline = [s for s in recorded if s.key.arm == primary]
        tried = sorted(r for r in every if r.startswith(run + TRY_SEPARATOR))
        for source, variant in [(run, RECORDED), *((t, t[len(run) + len(TRY_SEPARATOR):]) for t in tried)]:
            observations = recorded if source == run else store.observations(source)
            versus = _versus(requests, primary, baseline, observations, semantic=semantic)
            for cell in _cells(observations, source, variant, requests, worst=worst):
                compared, regressions = versus.get((cell.prompt, cell.arm), (0, 0))
                cells[(cell.prompt, cell.variant, cell.arm)] = replace(
                    cell, versus=primary if compared else None, compared=compared, regressions=regressions)
    rows = tuple(sorted({(p, v) for p, v, _ in cells}, key=lambda row: (row[0], row[1] != RECORDED, row[1])))
    arms = tuple(sorted({a for _, _, a in cells}))
    return Matrix(rows=rows, arms=arms, cells=cells, history=tuple(history(store)))


def _versus(requests: Sequence[ChatRequest], primary: str | None, baseline: Sequence[StoredObservation],
            observations: Sequence[StoredObservation], *, semantic: bool | None
            ) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (category, arm) other than the primary: the trials compared with the primary, and the regressions."""
    if primary is None:
        return {}
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for arm in sorted({s.key.arm for s in observations} - {primary}):
        trials = pair_trials(requests, baseline, [s for s in observations if s.key.arm == arm])
        if not trials:
            continue
        replica = "replica" if any(t.replica is not None for t in trials) else None
        report = compare_trials(trials, baseline=primary, candidate=arm, replica=replica, policy=load_policy(),
                                comparators=default_comparators(semantic=semantic))
        for name, row in report.summary.categories.items():
            found[(name, arm)] = (row.trials, row.verdicts.get("regression", 0))
    return found


def _cells(observations: Sequence[StoredObservation], run: str, variant: str, requests: Sequence[ChatRequest], *,
           worst: int) -> list[Cell]:
    by_id = {r.id: r for r in requests}
    comparators = contract_comparators()
    found: dict[tuple[str, str], list[tuple[str, Outcome]]] = {}
    for stored in observations:
        request = by_id.get(stored.key.trial_id)
        if stored.key.sample != 0 or request is None:
            continue
        found.setdefault((request.category, stored.key.arm), []).append((request.id, Outcome.of(stored.observation)))
    cells = []
    for (category, arm), answers in sorted(found.items()):
        checked = passed = 0
        failed: list[Example] = []
        for trial_id, outcome in sorted(answers, key=lambda item: item[0]):
            result = check_contract(by_id[trial_id], outcome, comparators)
            checked += result.checked
            passed += result.checked and result.passed
            if result.checked and not result.passed:
                failed.append(Example(trial_id=trial_id, output=outcome.error or outcome.text, reasons=result.reasons))
        failed.sort(key=lambda e: (-len(e.reasons), e.trial_id))
        cells.append(Cell(prompt=category, variant=variant, arm=arm, run=run, answers=len(answers), checked=checked,
                          passed=passed, worst=tuple(failed[:worst])))
    return cells


def history(store: Store) -> list[VersionEntry]:
    """Every pushed version, oldest first per prompt, with the keys that changed and their statuses."""
    entries = []
    versions = store.prompt_versions()
    for name in sorted({v.name for v in versions}):
        statuses = store.variant_statuses(name)
        before: dict[str, object] = {}
        for version in sorted((v for v in versions if v.name == name), key=lambda v: v.created_at):
            variants = dict(version.content.get("variants") or {})
            changed = tuple(sorted(k for k in variants if before.get(k) != variants[k]))
            mine = tuple((s.model_key, s.status, s.updated_at, s.updated_by) for s in statuses
                         if s.hash == version.hash)
            why = tuple((key, str(variants[key]["why"])) for key in changed
                        if isinstance(variants[key], dict) and variants[key].get("why"))
            entries.append(VersionEntry(name=name, hash=version.hash, created_at=version.created_at,
                                        created_by=version.created_by, keys=tuple(sorted(variants)), changed=changed,
                                        statuses=mine, why=why))
            before = variants
    return entries
