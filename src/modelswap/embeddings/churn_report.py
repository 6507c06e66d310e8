"""The churn report of an embedding swap: per-query figures, tables per language and segment, mapped
thresholds, the most changed queries side by side, and the gate; as a value, JSON and Markdown.

What it is: ``build_report`` (rankings in, ``ChurnReport`` out: pure, so the same rankings give
the same report), ``report_json`` (schema ``modelswap.embeddings.churn/v1``) and
``report_markdown``. What it is not: searching (``probes``), the metrics (``churn``), the rule
(``churn_gate``) or threshold mapping (``thresholds``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelswap.embeddings.churn import GroupChurn, QueryChurn, group_churn, groups_by, most_changed, query_churn
from modelswap.embeddings.churn_gate import ChurnPolicy, Decision, GroupGate, gate_group, overall
from modelswap.embeddings.probes import Probe, Ranked
from modelswap.embeddings.thresholds import MappedThreshold, default_thresholds, map_threshold

SCHEMA = "modelswap.embeddings.churn/v1"


@dataclass(frozen=True, kw_only=True)
class ChurnReport:
    old: str
    new: str
    k: int
    p: float
    rows: tuple[QueryChurn, ...]
    overall: GroupChurn
    languages: tuple[GroupChurn, ...]
    segments: tuple[GroupChurn, ...]
    gates: tuple[GroupGate, ...]  # "all", then "lang:X" and "segment:Y" groups
    decision: Decision
    thresholds: tuple[MappedThreshold, ...]
    changed: tuple[QueryChurn, ...]
    texts: Mapping[str, str]


def build_report(probes: Sequence[Probe], old: Ranked, new: Ranked, *, noise: Ranked | None = None,
                 texts: Mapping[str, str] | None = None, old_name: str = "old", new_name: str = "new", k: int = 10,
                 p: float = 0.9, policy: ChurnPolicy | None = None, thresholds: Sequence[float] | None = None,
                 show: int = 10, segments_gated: bool = False) -> ChurnReport:
    """Everything the report shows. Languages are always gated; segments only with ``segments_gated`` (a
    segment is usually too small to decide on, and its table is there to read)."""
    policy = policy or ChurnPolicy()
    for name, ranked in (("old", old), ("new", new), ("noise", noise)):
        if ranked is not None and len(ranked.ids) != len(probes):
            raise ValueError(f"{name}: {len(ranked.ids)} rankings for {len(probes)} probes")
    rows = tuple(query_churn(id=probe.id, text=probe.text, lang=probe.lang or "-", segment=probe.segment or "-",
                             old=old.ids[i], new=new.ids[i], noise=None if noise is None else noise.ids[i],
                             relevant=probe.relevant, k=k, p=p) for i, probe in enumerate(probes))
    everything = group_churn("all", rows)
    languages = tuple(groups_by(rows, lambda row: row.lang))
    segments = tuple(groups_by(rows, lambda row: row.segment))

    def rows_of(kind: str, name: str) -> list[QueryChurn]:
        return [row for row in rows if getattr(row, kind) == name]

    gates = [gate_group(everything, rows, policy)]
    gates += [dataclasses.replace(gate_group(g, rows_of("lang", g.name), policy), name=f"lang:{g.name}")
              for g in languages if len(languages) > 1]
    if segments_gated:
        gates += [dataclasses.replace(gate_group(g, rows_of("segment", g.name), policy), name=f"segment:{g.name}")
                  for g in segments]
    old_scores, new_scores = old.all_scores(), new.all_scores()
    wanted = list(thresholds) if thresholds is not None else default_thresholds(old_scores)
    mapped = tuple(map_threshold(old_scores, new_scores, t) for t in wanted) if old_scores and new_scores else ()
    return ChurnReport(old=old_name, new=new_name, k=k, p=p, rows=rows, overall=everything, languages=languages,
                       segments=segments, gates=tuple(gates), decision=overall([g.decision for g in gates]),
                       thresholds=mapped, changed=tuple(most_changed(rows, show)), texts=dict(texts or {}))


def _group(group: GroupChurn) -> dict[str, Any]:
    data = dataclasses.asdict(group)
    data["churn_beyond_noise"] = group.churn_beyond_noise
    return data


def report_json(report: ChurnReport) -> dict[str, Any]:
    """The report as JSON-ready data (per-query rows included)."""
    return {
        "schema": SCHEMA, "old": report.old, "new": report.new, "k": report.k, "p": report.p,
        "decision": report.decision,
        "overall": _group(report.overall),
        "languages": [_group(g) for g in report.languages],
        "segments": [_group(g) for g in report.segments],
        "gates": [dataclasses.asdict(g) for g in report.gates],
        "thresholds": [dataclasses.asdict(t) for t in report.thresholds],
        "changed": [{"id": row.id, "text": row.text, "overlap": row.overlap, "rbo": row.rbo,
                     "old": [report.texts.get(doc, doc) for doc in row.old],
                     "new": [report.texts.get(doc, doc) for doc in row.new]} for row in report.changed],
        "queries": [dataclasses.asdict(row) for row in report.rows],
    }


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(title: str, groups: Sequence[GroupChurn], k: int) -> list[str]:
    lines = [f"### {title}", "",
             f"| group | queries | overlap@{k} | RBO | tau | noise overlap | changed | R@1 old | R@1 new "
             f"| MRR old | MRR new | nDCG@{k} old | nDCG@{k} new |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for g in groups:
        lines.append(f"| {g.name} | {g.queries} | {_f(g.overlap)} | {_f(g.rbo)} | {_f(g.tau)} | "
                     f"{_f(g.noise_overlap)} | {g.changed} | {_f(g.old.get('hit1'))} | {_f(g.new.get('hit1'))} | "
                     f"{_f(g.old.get('rr'))} | {_f(g.new.get('rr'))} | {_f(g.old.get('ndcg'))} | "
                     f"{_f(g.new.get('ndcg'))} |")
    return [*lines, ""]


def _cell(text: str, width: int = 60) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[:width - 1] + "…"


def report_markdown(report: ChurnReport, *, show_top: int = 3) -> str:
    """The report as Markdown: decision, gates, tables, thresholds, the most changed queries."""
    lines = [f"## Embedding churn: {report.old} → {report.new}", "", f"**Decision: {report.decision}**", "",
             "| gate | decision | reason |", "| --- | --- | --- |"]
    lines += [f"| {g.name} | {g.decision} | {_cell(g.reason, 200)} |" for g in report.gates]
    lines.append("")
    lines += _table("Overall and per language", [report.overall, *report.languages], report.k)
    lines += _table("Per segment", report.segments, report.k)
    if report.thresholds:
        lines += ["### Similarity thresholds mapped by quantile", "", "| old | quantile | new |",
                  "| ---: | ---: | ---: |"]
        lines += [f"| {t.old:.3f} | {t.quantile:.3f} | {t.new:.3f} |" for t in report.thresholds]
        lines.append("")
    lines += ["### Most changed queries", ""]
    for row in report.changed:
        lines += [f"**{_cell(row.text, 100)}** ({row.lang}, {row.segment}): overlap@{report.k} {row.overlap:.2f}, "
                  f"RBO {row.rbo:.2f}", "", f"| rank | {report.old} | {report.new} |", "| ---: | --- | --- |"]
        for rank in range(min(show_top, max(len(row.old), len(row.new)))):
            old = report.texts.get(row.old[rank], row.old[rank]) if rank < len(row.old) else ""
            new = report.texts.get(row.new[rank], row.new[rank]) if rank < len(row.new) else ""
            lines.append(f"| {rank + 1} | {_cell(old)} | {_cell(new)} |")
        lines.append("")
    return "\n".join(lines)
