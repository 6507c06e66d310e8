"""The HTML report: one self-contained page for a person deciding whether to switch models.

What it is: ``render_html`` and ``write_html``. The page reads top to bottom like the other
renderings: the decision and every gate check, the categories ranked by regression rate, the
turns of a ``record --handoff`` run in order, the charts (inline SVG from ``svg``), the metrics, the
worst trials side by side with their word-level differences marked, and the full trial list
(capped). It loads nothing from the network (a Content-Security-Policy says so to the browser too),
every string from data is escaped, and it reads completely without JavaScript (the one inline
script only adds a filter).
What it is not: the numbers (``model``, ``text``) or the charts' drawing (``svg``).
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from modelswap.compare.comparison import Comparison
from modelswap.compare.model import Outcome
from modelswap.compare.triage import VERDICTS, Triaged
from modelswap.report.model import SCHEMA
from modelswap.report.svg import Series, histogram, interval, stacked_bars
from modelswap.report.text import DECISION_LABEL, fmt_ci, fmt_num, fmt_rate, metric_rows

TRIAL_LIMIT = 500
WORST = 10
DIFF_CHARS = 6000
VERDICT_COLOUR = {"regression": "#D55E00", "novel": "#CC79A7", "improvement": "#009E73", "neutral": "#BBBBBB"}
BASELINE, CANDIDATE = "#0072B2", "#E69F00"
# Lines, then sentences, then words; Japanese and Chinese are written without spaces, so each
# ideograph or kana is a word of its own.
_LEVELS = (re.compile(r"[^\n]*\n|[^\n]+"),
           re.compile(r"[^.!?。！？]+[.!?。！？]*\s*|[.!?。！？]+\s*"),
           re.compile(r"\s+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f]|\w+|[^\w\s]"))
DIFF_BUDGET = 1_000_000  # token pairs: beyond it a changed block is marked whole
_SCRIPT = ("const f=document.getElementById('trial-filter');if(f){f.hidden=false;f.addEventListener('input',()=>{"
           "const q=f.value.toLowerCase();for(const r of document.querySelectorAll('#trial-table tbody tr'))"
           "{r.hidden=q!==''&&!r.textContent.toLowerCase().includes(q);}});}")
_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--go:#1a7f37;--no_go:#b42318;--inconclusive:#9a6700}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue","Noto Sans","Noto Sans CJK JP","Hiragino Sans","Yu Gothic",Meiryo,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 56px}
h2{font-size:20px;margin:36px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:0 0 10px}
.banner{display:flex;flex-wrap:wrap;align-items:center;gap:10px 32px;padding:22px 28px;border-radius:10px;color:#fff}
.d-go .banner{background:var(--go)}.d-no_go .banner{background:var(--no_go)}
.d-inconclusive .banner{background:var(--inconclusive)}
.big{font-size:46px;font-weight:800;letter-spacing:.02em;line-height:1}
.who{font-size:18px}.who b{font-weight:700}.facts{font-size:14px;opacity:.95;margin-top:4px}
nav{margin:12px 0 0;font-size:14px;color:var(--muted)}nav a{color:#0550ae;margin-right:14px}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.sig td{background:#fff1f0}tr.sig td:first-child{box-shadow:inset 4px 0 var(--no_go)}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;
border:1px solid transparent}
.o-pass{background:#dafbe1;color:#116329}.o-fail{background:#ffebe9;color:#a40e26;border-color:#ff8182}
.o-inconclusive{background:#fff8c5;color:#7d4e00}.o-not_applicable{background:#eff2f5;color:var(--muted)}
.crit{background:#fff;color:#a40e26;border-color:#a40e26}
.v-regression{background:#ffe2d1;color:#8a3200}.v-novel{background:#fbe3f1;color:#7d2457}
.v-improvement{background:#d7f5e9;color:#005c3f}.v-neutral{background:#eff2f5;color:var(--muted)}
.muted,.note{color:var(--muted);font-size:13px}
figure{margin:0 0 16px;padding:12px 16px;border:1px solid var(--line);border-radius:8px}
figcaption{font-weight:600;margin-bottom:6px}figcaption .muted{font-weight:400;margin-left:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:0 16px}
.card{border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:0 0 18px}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.side h4{margin:0 0 4px;font-size:13px;color:var(--muted);font-weight:600}
pre.out{margin:0;padding:10px 12px;background:var(--soft);border:1px solid var(--line);border-radius:6px;
white-space:pre-wrap;overflow-wrap:anywhere;max-height:420px;overflow:auto;
font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,"Noto Sans Mono CJK JP",monospace}
pre.error{background:#fff1f0;border-color:#ffcecb;color:#a40e26}
del{background:#ffcecb;color:#82071e;text-decoration:line-through;text-decoration-color:#cf222e}
ins{background:#aceebb;color:#055d20;text-decoration:underline;text-decoration-color:#1a7f37}
ul.findings{margin:10px 0 0;padding-left:20px;font-size:14px}ul.findings li{margin:2px 0}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 4px;
border-radius:4px}
details>summary{cursor:pointer;font-weight:600}.card details{margin-bottom:8px}
input#trial-filter{margin:8px 0;padding:5px 8px;width:320px;border:1px solid var(--line);border-radius:6px}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media (max-width:800px){.sides{grid-template-columns:1fr}}
"""


def render_html(report: Comparison) -> str:
    """The report as one self-contained HTML page."""
    body = "".join([_decision(report), _categories(report), _turns(report), _charts(report), _metrics(report),
                    _worst(report), _trials(report), _footer(report)])
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:; "
              "base-uri 'none'; form-action 'none'")
    title = f"modelswap: {DECISION_LABEL[report.gate.decision]}: {report.candidate} vs {report.baseline}"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n<script>{_SCRIPT}</script>\n"
            "</body>\n</html>\n")


def write_html(report: Comparison, path: str | Path) -> None:
    Path(path).write_text(render_html(report), encoding="utf-8")


def _decision(report: Comparison) -> str:
    summary, gate = report.summary, report.gate
    noise = (f"noise floor: measured on {summary.replica_trials} replica trials" if summary.noise_known
             else "noise floor: unknown: no replica")
    replica = f" · replica <b>{escape(report.replica)}</b>" if report.replica else " · no replica"
    counts = " ".join(f'<span class="badge v-{v}">{summary.verdicts.get(v, 0)} {v}</span>' for v in VERDICTS)
    rows = []
    for check in gate.checks:
        critical = ' <span class="badge crit">critical</span>' if check.critical else ""
        ci = f'<br><span class="muted">{escape(fmt_ci(check.ci95))}</span>' if check.ci95 else ""
        rows.append(f'<tr class="{"sig" if check.outcome == "fail" else ""}"><td>{escape(check.name)}{critical}</td>'
                    f'<td><span class="badge o-{check.outcome}">{escape(check.outcome.replace("_", " "))}</span></td>'
                    f'<td class="num">{escape(fmt_num(check.observed))}{ci}</td>'
                    f'<td class="num">{escape(fmt_num(check.threshold))}</td><td>{escape(check.reason)}</td></tr>')
    links = "".join(f'<a href="#{a}">{t}</a>' for a, t in (("gate", "Gate"), ("categories", "Categories"),
                    ("charts", "Charts"), ("metrics", "Metrics"), ("worst", "Worst trials"), ("trials", "All trials")))
    return (f'<section id="decision" class="d-{gate.decision}" data-decision="{gate.decision}">'
            f'<div class="banner"><div class="big">{DECISION_LABEL[gate.decision]}</div><div>'
            f'<div class="who">candidate <b>{escape(report.candidate)}</b> vs baseline '
            f"<b>{escape(report.baseline)}</b>{replica}</div>"
            f'<div class="facts">{summary.trials} trials · {escape(noise)}</div></div></div>'
            f'<p>{counts}</p><nav>{links}</nav>'
            f'<h2 id="gate">Gate</h2><table><thead><tr><th>check</th><th>outcome</th><th class="num">observed</th>'
            f'<th class="num">threshold</th><th>reason</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            "</section>")


def _categories(report: Comparison) -> str:
    rows = []
    for c in report.summary.categories.values():
        mark = ' <span class="badge o-fail">significant</span>' if c.significant else ""
        strip = interval(c.ci95, estimate=c.regression_rate, reference=c.noise, colour=VERDICT_COLOUR["regression"])
        rows.append(f'<tr class="{"sig" if c.significant else ""}"><td>{escape(c.name)}{mark}</td>'
                    f'<td class="num">{c.trials}</td><td class="num">{fmt_rate(c.regression_rate)}</td>'
                    f'<td class="num">{fmt_ci(c.ci95, rate=True)} {strip}</td><td class="num">{fmt_rate(c.noise)}</td>'
                    f'<td class="num">{c.verdicts.get("novel", 0)}</td>'
                    f'<td class="num">{c.verdicts.get("improvement", 0)}</td>'
                    f'<td class="num">{escape(fmt_num(c.p_adjusted))}</td></tr>')
    note = ("Highlighted: the candidate regresses significantly more often than the replica disagrees with the "
            "primary (paired test, Holm-adjusted p &lt; 0.05). The strip shows the 95% Wilson interval, the dot the "
            "rate, the black tick the replica's rate." if report.summary.noise_known else
            "No replica was recorded, so no category can be tested against the noise floor.")
    return ('<section><h2 id="categories">Categories, most at risk first</h2><table><thead><tr><th>category</th>'
            '<th class="num">trials</th><th class="num">regression</th><th class="num">95% CI</th>'
            '<th class="num">replica</th><th class="num">novel</th><th class="num">improvement</th>'
            f'<th class="num">Holm p</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="note">{note}</p></section>')


def _turns(report: Comparison) -> str:
    if not report.summary.turns:
        return ""
    rows = []
    for t in report.summary.turns.values():
        strip = interval(t.ci95, estimate=t.regression_rate, reference=t.noise, colour=VERDICT_COLOUR["regression"])
        cells = "".join(f'<td class="num">{value}</td>' for value in (
            t.trials, fmt_rate(t.regression_rate), f"{fmt_ci(t.ci95, rate=True)} {strip}", fmt_rate(t.noise),
            *(t.verdicts.get(v, 0) for v in ("novel", "improvement", "neutral")), escape(fmt_num(t.p_adjusted))))
        rows.append(f'<tr class="{"sig" if t.significant else ""}"><td>turn {escape(t.name)}</td>{cells}</tr>')
    heads = "".join(f'<th class="num">{h}</th>' for h in ("trials", "regression", "95% CI", "replica", "novel",
                                                           "improvement", "neutral", "Holm p"))
    return ('<section><h2 id="turns">Turns, in conversation order</h2><table><thead><tr><th>turn</th>'
            f'{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table><p class="note">Conversations replayed '
            "by record --handoff: each turn after the handoff, the candidate continuing its own conversation "
            "against the primary continuing the primary's.</p></section>")


def _charts(report: Comparison) -> str:
    series = [Series(name=v, colour=VERDICT_COLOUR[v]) for v in VERDICTS]
    rows = [("all trials", [report.summary.verdicts.get(v, 0) for v in VERDICTS])]
    rows += [(c.name, [c.verdicts.get(v, 0) for v in VERDICTS]) for c in report.summary.categories.values()]
    mix = _figure("Verdict mix per category", stacked_bars(rows, series, title="Verdict mix per category")
                  if report.summary.trials else None)
    sides = (("latency", "ms", "latency_ms", lambda o: o.latency_ms),
             ("completion tokens", "tokens", "tokens", lambda o: o.completion_tokens),
             ("cost", "USD", "cost_usd", lambda o: o.cost_usd))
    spreads = "".join(_distribution(report, name, unit, figure, get) for name, unit, figure, get in sides)
    return f'<section><h2 id="charts">Charts</h2>{mix}<div class="grid">{spreads}</div></section>'


def _distribution(report: Comparison, name: str, unit: str, figure: str, get: Callable[[Outcome], float | None]
                  ) -> str:
    if report.distributions is not None:  # the report lists some trials only: every trial's figures
        base_all, cand_all = report.distributions.get(figure, ((), ()))
        values = {"baseline": [float(v) for v in base_all], "candidate": [float(v) for v in cand_all]}
    else:
        values = {side: [float(v) for t in report.triaged if (v := get(getattr(t.compared.trial, side))) is not None]
                  for side in ("baseline", "candidate")}
    caption = f"{name.capitalize()} per task"
    if min(len(v) for v in values.values()) < 2 or not any(x for v in values.values() for x in v):
        return _figure(caption, None)
    base, cand = (np.asarray(values[side]) for side in ("baseline", "candidate"))
    quantiles = " · ".join(f"{label} {fmt_num(float(np.quantile(base, q)))} → {fmt_num(float(np.quantile(cand, q)))}"
                           for label, q in (("median", 0.5), ("p95", 0.95)))
    svg = histogram([(Series(name=f"baseline {report.baseline}", colour=BASELINE), values["baseline"]),
                     (Series(name=f"candidate {report.candidate}", colour=CANDIDATE), values["candidate"])],
                    title=f"{name} per task, baseline vs candidate", unit=unit)
    return _figure(caption, svg, note=f"{quantiles} {unit}")


def _figure(caption: str, svg: str | None, *, note: str = "") -> str:
    content = svg if svg is not None else '<p class="muted">Not recorded for enough trials on both sides.</p>'
    note = f' <span class="muted">{escape(note)}</span>' if note else ""
    return f"<figure><figcaption>{escape(caption)}{note}</figcaption>{content}</figure>"


def _metrics(report: Comparison) -> str:
    heads = ("metric", "baseline", "candidate", "difference / ratio", "95% CI", "noise", "p")
    head = "".join(f'<th class="{"" if i == 0 else "num"}">{h}</th>' for i, h in enumerate(heads))
    rows = "".join("<tr>" + "".join(f'<td class="{"" if i == 0 else "num"}">{escape(cell)}</td>'
                                    for i, cell in enumerate(row)) + "</tr>" for row in metric_rows(report))
    return (f'<section><h2 id="metrics">Metrics</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>'
            '</table><p class="note">For verdict rates the baseline column is the replica\'s rate (the noise floor); '
            "for checks the difference is candidate - baseline; for latency, tokens and cost the ratio.</p></section>")


def _worst(report: Comparison) -> str:
    chosen = report.worst(WORST)
    if not chosen:
        return ('<section><h2 id="worst">Worst trials</h2><p class="muted">No regression or novel trial.</p>'
                "</section>")
    cards = "".join(_card(report, t) for t in chosen)
    return (f'<section><h2 id="worst">Worst {_plural(len(chosen), "trial")}, side by side</h2><p class="note">'
            "Words the candidate dropped are <del>struck out</del> on the baseline side; words it added are "
            f"<ins>underlined</ins> on the candidate side.</p>{cards}</section>")


def _card(report: Comparison, t: Triaged) -> str:
    trial = t.compared.trial
    left, right = _sides(trial.baseline, trial.candidate)
    findings = "".join(
        f'<li><code>{escape(f.check)}</code> <span class="badge o-fail">{escape(f.severity)}</span> '
        f'{escape(f.reason)}{_values(f.baseline, f.candidate)}</li>' for f in t.decisive)
    prompt = _prompt(trial.request.messages)
    return (f'<article class="card"><h3><span class="badge v-{t.verdict}">{t.verdict}</span> '
            f"<code>{escape(trial.id)}</code> <span class=\"muted\">{escape(trial.category)}</span></h3>"
            + (f'<details><summary class="muted">request</summary><pre class="out">{escape(prompt)}</pre></details>'
               if prompt else "")
            + f'<div class="sides"><div class="side"><h4>baseline · {escape(report.baseline)}</h4>{left}</div>'
            f'<div class="side"><h4>candidate · {escape(report.candidate)}</h4>{right}</div></div>'
            f'<ul class="findings">{findings}</ul></article>')


def _sides(baseline: Outcome, candidate: Outcome) -> tuple[str, str]:
    if baseline.ok and candidate.ok:
        left, right = word_diff(_clip(baseline.text), _clip(candidate.text))
        return f'<pre class="out">{left}</pre>', f'<pre class="out">{right}</pre>'
    return _plain(baseline), _plain(candidate)


def _plain(outcome: Outcome) -> str:
    if outcome.ok:
        return f'<pre class="out">{escape(_clip(outcome.text))}</pre>'
    return f'<pre class="out error">error: {escape(outcome.error or "no output")}</pre>'


def word_diff(baseline: str, candidate: str) -> tuple[str, str]:
    """Both texts escaped, with what only the baseline has in ``<del>`` and what only the candidate has in ``<ins>``.

    Lines are aligned first, then sentences within changed lines, then words within changed
    sentences (so a long answer stays fast and its changes stay local); a changed block too
    large to align word by word is marked whole.
    """
    return _diff(baseline, candidate, 0)


def _diff(old: str, new: str, level: int) -> tuple[str, str]:
    a, b = _LEVELS[level].findall(old), _LEVELS[level].findall(new)
    last = level == len(_LEVELS) - 1
    if last and len(a) * len(b) > DIFF_BUDGET:
        return _marked(old, new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        block_a, block_b = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            left.append(escape(block_a))
            right.append(escape(block_b))
            continue
        marked = _diff(block_a, block_b, level + 1) if block_a and block_b and not last else _marked(block_a, block_b)
        left.append(marked[0])
        right.append(marked[1])
    return "".join(left), "".join(right)


def _marked(old: str, new: str) -> tuple[str, str]:
    return (f"<del>{escape(old)}</del>" if old else "", f"<ins>{escape(new)}</ins>" if new else "")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _values(baseline: Any, candidate: Any) -> str:
    if baseline is None and candidate is None:
        return ""
    return f' <span class="muted">({escape(_short(baseline))} → {escape(_short(candidate))})</span>'


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def _prompt(messages: Sequence[dict[str, Any]]) -> str:
    users = [m.get("content") for m in messages if m.get("role") == "user"]
    last = users[-1] if users else None
    return _clip(last, 1500) if isinstance(last, str) else ""


def _clip(text: str, limit: int = DIFF_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _trials(report: Comparison) -> str:
    order = {v: i for i, v in enumerate(VERDICTS)}
    ranked = sorted(report.triaged, key=lambda t: order[t.verdict])
    shown = ranked[:TRIAL_LIMIT]
    rows = "".join(
        f'<tr><td><code>{escape(t.compared.trial.id)}</code></td><td>{escape(t.compared.trial.category)}</td>'
        f'<td><span class="badge v-{t.verdict}">{t.verdict}</span></td>'
        f'<td>{escape(", ".join(f.check for f in t.decisive))}</td></tr>' for t in shown)
    note = (f'<p class="note">Showing the first {len(shown)} of {len(ranked)} trials (regressions first); '
            "the JSON report has every trial.</p>" if len(shown) < len(ranked) else "")
    if report.listing is not None:
        note = (f'<p class="note">Showing the {len(shown)} worst of {report.listing["of"]} trials: a run this large '
                "is listed by its worst trials only (compare --list-trials).</p>")
    summary = f"{_plural(len(ranked), 'trial')}: id, category, verdict, decisive checks"
    return (f'<section><h2 id="trials">All trials</h2><details><summary>{summary}</summary>{note}'
            '<input id="trial-filter" type="search" placeholder="filter trials" aria-label="filter trials" hidden>'
            '<table id="trial-table"><thead><tr><th>id</th><th>category</th><th>verdict</th><th>decisive checks</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></details></section>")


def _footer(report: Comparison) -> str:
    source = " · ".join(f"{escape(str(k))}: {escape(_short(v))}" for k, v in report.source.items())
    return f"<footer>modelswap · {SCHEMA}{' · ' + source if source else ''}</footer>"
