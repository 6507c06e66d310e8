"""Triage: one verdict per trial, with the findings that decided it.

What it is: ``triage``, turning each compared trial into ``regression``, ``improvement``,
``neutral`` or ``novel``. What it is not: the findings (comparators) or rates (summary).

The rule, in order:

1. A candidate finding is set aside as noise when the noise floor says the primary shows the
   same behaviour on its own: on this request (the replica shows it, comparably large) or as
   often across the category's requests (``NoiseFloor.assess``; the rule and its reasoning are
   in ``modelswap.compare.noise``). A ``judge`` finding has no replica counterpart and is kept.
2. A moved refusal boundary (check ``refusal``, either way) makes the trial ``novel``: it needs
   a human whichever way it moved, and the refusal explains the trial's other differences.
3. A new language (check ``language``) or any ``changed`` finding (no direction can be told)
   whose behaviour the baseline never showed anywhere in the traffic is *novel*; so is any
   ``changed`` exact short answer (``answer.exact``: "365" where the primary said "366", with
   no gold to say which is right), which a human must decide.
4. A remaining ``regression`` of severity ``minor`` or worse makes the trial ``regression``: a
   broken contract is a regression even when the way it breaks is new (fenced JSON from a
   primary that never fenced); otherwise a novel finding makes it ``novel``.
5. A remaining ``improvement`` makes it ``improvement``; anything else is ``neutral``.

Similarity checks (``similarity.semantic``) are symmetric: they see that the meaning moved, not
which way. A mild move (severity ``minor``) decides a trial only when no other check found
anything: an answer that fixes a truncation or answers in the expected language also moves away
from the baseline's meaning, and that move is explained by the finding that names it. A large
move (``major``: off topic) stands on its own, whatever else improved. A pairwise judge's win
(``judge``, either way) replaces the similarity checks: they see that the meaning moved, the
judge says which answer is better. Where the short-answer check applies (``answer.exact``), it alone
judges the answer's meaning: two different one-word answers are always far apart in meaning, and
whether the difference is a regression, an improvement or needs a human is what that check says.

The replica is triaged by the same rule, step 1 with the sides swapped (its findings count where
it shows a behaviour beyond the candidate's rate and the candidate does not show it on that
request): its verdicts are the noise floor of the verdict rates, measured like the candidate's.
``paired`` holds both sides' verdicts by the request-level test alone (no rate rows): rows are
chosen *because* one side exceeds the other, so a significance test between the sides reads
these instead, and does not count the same evidence twice.

``verdicts`` is the rule for one trial on anything shaped like a finding: ``triage`` runs it on
``Finding`` values, a streamed comparison on compact keys of the same fields (it keeps no finding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Literal, NamedTuple, Protocol, TypeVar

from modelswap.compare.engine import Compared
from modelswap.compare.model import Finding
from modelswap.compare.noise import NoiseFloor, OwnShares, Side, own_shares
from modelswap.compare.noise_columns import Judged, request_samples

Verdict = Literal["regression", "improvement", "neutral", "novel"]
VERDICTS: tuple[Verdict, ...] = ("regression", "novel", "improvement", "neutral")
REFUSAL_CHECK = "refusal"
SOFT_CHECKS = frozenset({"similarity.semantic", "similarity.lexical"})
JUDGE_CHECK = "judge"
NOVEL_CHECKS = frozenset({"language"})
ANSWER_CHECK = "answer.exact"
ALWAYS_NOVEL_WHEN_CHANGED = frozenset({ANSWER_CHECK})


class Decidable(Judged, Protocol):
    """What triage reads of a finding."""

    @property
    def severity(self) -> str: ...


F = TypeVar("F", bound=Decidable)


@dataclass(frozen=True, kw_only=True, slots=True)
class Triaged:
    """A compared trial with its verdict, the findings that decided it, and what was set aside as noise."""

    compared: Compared
    verdict: Verdict
    decisive: tuple[Finding, ...] = ()
    within_noise: tuple[tuple[str, str], ...] = ()
    replica_verdict: Verdict | None = None
    paired: tuple[Verdict, Verdict] | None = None


class Verdicts(NamedTuple, Generic[F]):
    """One trial's verdicts: the candidate's (with its decisive findings and what was set aside as noise), the
    replica's and both by the request-level test alone (None without a replica)."""

    verdict: Verdict
    decisive: list[F]
    within_noise: list[tuple[str, str]]
    replica: Verdict | None
    paired: tuple[Verdict, Verdict] | None


def baseline_behaviours(compared: Sequence[Compared]) -> frozenset[str]:
    """Every behaviour the primary showed: the baseline side of all findings and the replica's own."""
    seen = {f.baseline_behaviour for c in compared for f in (*c.findings, *c.noise) if f.baseline_behaviour}
    seen |= {f.behaviour for c in compared for f in c.noise if f.behaviour}
    return frozenset(seen)


def triage(compared: Sequence[Compared], noise: NoiseFloor) -> list[Triaged]:
    """The verdict of every trial (and of its replica, where there is one)."""
    known = baseline_behaviours(compared)
    out = []
    for item in compared:
        found = verdicts(item.findings, item.noise if item.trial.replica is not None else None, noise=noise,
                         own=own_shares(request_samples(item)), category=item.trial.category, known=known)
        out.append(Triaged(compared=item, verdict=found.verdict, decisive=tuple(found.decisive),
                           within_noise=tuple(found.within_noise), replica_verdict=found.replica,
                           paired=found.paired))
    return out


def verdicts(findings: Sequence[F], replica: Sequence[F] | None, *, noise: NoiseFloor, own: OwnShares,
             category: str, known: frozenset[str]) -> Verdicts[F]:
    """The rule for one trial: ``findings`` of the candidate, ``replica`` those of the replica (None without)."""
    findings, replica = _short_answer_owns_meaning(findings), replica and _short_answer_owns_meaning(replica)
    kept, set_aside = _without_noise(findings, noise, own, category, "candidate")
    verdict, decisive = decide(kept, known)
    replica_verdict = paired = None
    if replica is not None:
        replica_verdict = decide(_without_noise(replica, noise, own, category, "replica")[0], known)[0]
        paired = (decide(_without_noise(findings, noise, own, category, "candidate", rows=False)[0], known)[0],
                  decide(_without_noise(replica, noise, own, category, "replica", rows=False)[0], known)[0])
    return Verdicts(verdict, decisive, set_aside, replica_verdict, paired)


def _short_answer_owns_meaning(findings: Sequence[F]) -> Sequence[F]:
    """Without the similarity checks where ``answer.exact`` applied (the module docstring)."""
    if any(f.check == ANSWER_CHECK for f in findings):
        return [f for f in findings if f.check not in SOFT_CHECKS]
    return findings


def _without_noise(findings: Sequence[F], noise: NoiseFloor, own: OwnShares, category: str, side: Side, *,
                   rows: bool = True) -> tuple[list[F], list[tuple[str, str]]]:
    kept: list[F] = []
    set_aside: list[tuple[str, str]] = []
    for finding in findings:
        assessment = noise.judge(finding, category=category, own=own, side=side, rows=rows)
        if assessment.counts:
            kept.append(finding)
        else:
            set_aside.append((finding.check, assessment.reason))
    return kept, set_aside


def decide(findings: Sequence[F], known_behaviours: frozenset[str]) -> tuple[Verdict, list[F]]:
    """Steps 2-5 of the rule on findings already cleared of noise."""
    if any(f.check == JUDGE_CHECK and f.status != "same" for f in findings):
        findings = [f for f in findings if f.check not in SOFT_CHECKS]
    elif any(f.check not in SOFT_CHECKS and (f.status == "improvement" or (f.status != "same" and f.severity != "info"))
             for f in findings):
        findings = [f for f in findings if f.check not in SOFT_CHECKS or f.severity in ("major", "critical")]
    moved = [f for f in findings if f.check == REFUSAL_CHECK and f.status != "same"]
    if moved:
        return "novel", moved
    novel = [f for f in findings if (f.status == "changed" and f.check in ALWAYS_NOVEL_WHEN_CHANGED)
             or (f.behaviour and f.behaviour not in known_behaviours
                 and (f.status == "changed" or (f.status == "regression" and f.check in NOVEL_CHECKS)))]
    regressions = [f for f in findings if f.status == "regression" and f.severity != "info" and f not in novel]
    if regressions:
        return "regression", regressions
    if novel:
        return "novel", novel
    improvements = [f for f in findings if f.status == "improvement"]
    if improvements:
        return "improvement", improvements
    return "neutral", []
