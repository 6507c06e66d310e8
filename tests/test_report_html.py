"""The HTML report: decision first, everything escaped, nothing from the network, differences marked.

The report is built through the real chain (comparators -> noise floor -> triage -> summary ->
gate) with small scripted comparators. The browser tests load the written file in headless
Chromium and read the decision back from the rendered DOM.
"""

from __future__ import annotations

import html
import random
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from modelswap.compare.checks.base import Comparator
from modelswap.compare.comparison import Comparison
from modelswap.compare.engine import run_comparators
from modelswap.compare.gate import Policy, PolicyCheck, evaluate
from modelswap.compare.model import Finding, Outcome, Trial
from modelswap.compare.noise import measure_noise
from modelswap.compare.summary import summarize
from modelswap.compare.triage import triage
from modelswap.report import html as html_report
from modelswap.report.html import render_html, word_diff, write_html
from modelswap.types import ChatRequest

CHROMIUM = Path("/usr/bin/chromium")
XSS = "<script>alert(1)</script>"
POLICY = Policy(min_trials=10, checks=(
    PolicyCheck(name="regression rate", metric="regression_rate", max=0.05, critical=True),
    PolicyCheck(name="novel rate", metric="novel_rate", max=0.5),
))


class ExactMatch(Comparator):
    """Scripted check: the other side must say exactly what the baseline said."""

    name = "exact"

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not other.ok:
            return [Finding(check=self.name, version=1, status="regression", severity="critical", baseline=True,
                            candidate=False, reason=f"no answer: {other.error}")]
        same = other.text == baseline.text
        return [Finding(check=self.name, version=1, status="same" if same else "regression",
                        severity="info" if same else "major", baseline=True, candidate=same,
                        reason="identical" if same else 'the answer changed: <b>"wrong"</b> & more')]


class Refusal(Comparator):
    """Scripted check: a refusal on one side only moves the refusal boundary."""

    name = "refusal"

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        moved = baseline.text.startswith("I can't") != other.text.startswith("I can't")
        return [Finding(check=self.name, version=1, status="changed" if moved else "same",
                        severity="major" if moved else "info", reason="refusal moved" if moved else "")]


def _trial(i: int, category: str, baseline: str, candidate: str | None, *, replica: bool) -> Trial:
    request = ChatRequest(id=f"t{i:02d}", messages=({"role": "user", "content": f"question {i} <b>?</b>"},),
                          category=category)
    return Trial(
        id=request.id, request=request,
        baseline=Outcome(output=baseline, latency_ms=100.0 + 7 * i, completion_tokens=20 + i, cost_usd=1e-4 * (1 + i)),
        candidate=Outcome(output=candidate, latency_ms=160.0 + 11 * i, completion_tokens=30 + i,
                          cost_usd=2e-4 * (1 + i), error=None if candidate is not None else "timeout: 30 s"),
        replica=Outcome(output=baseline, latency_ms=105.0 + 7 * i) if replica else None)


def _trials(*, replica: bool = True) -> list[Trial]:
    """36 trials: every 'extract' trial regresses, 'chat' ones are identical, Japanese ones regress sometimes."""
    trials = []
    for i in range(36):
        if i % 3 == 0:
            trials.append(_trial(i, "extract", f"The capital of France is Paris. Case {i}.",
                                 f"The capital of France is Lyon. Case {i}.", replica=replica))
        elif i % 3 == 1:
            trials.append(_trial(i, "chat", f"Hello number {i}.", f"Hello number {i}.", replica=replica))
        else:
            candidate = "東京は日本の大きな首都です。" if i % 4 == 0 else "東京は日本の首都です。"
            trials.append(_trial(i, "翻訳 <i>ja</i>", "東京は日本の首都です。", candidate, replica=replica))
    trials[1] = _trial(1, "chat", "Here is the **answer**.", f'Here is the "answer" {XSS} see https://evil.example/x',
                       replica=replica)
    trials[4] = _trial(4, "chat", "Sure, here it is.", "I can't help with that.", replica=replica)
    trials[7] = _trial(7, "chat", "Fine.", None, replica=replica)
    return trials


def _report(trials: list[Trial], *, replica: bool = True) -> Comparison:
    compared = run_comparators(trials, [ExactMatch(), Refusal()])
    noise = measure_noise(compared)
    triaged = triage(compared, noise)
    summary = summarize(triaged, noise, seed=0)
    return Comparison(baseline="gpt-4o-mini", candidate="gemma-3 <270m>", replica="gpt-4o-mini#2" if replica else None,
                  triaged=tuple(triaged), summary=summary, gate=evaluate(summary, POLICY), noise=noise,
                  source={"pairs": "traffic <x>.jsonl"})


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the ``data-decision`` of ``#decision``."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def decision(self) -> str | None:
        found = [attrs.get("data-decision") for _, attrs in self.tags if attrs.get("id") == "decision"]
        assert len(found) == 1
        return found[0]


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def report() -> Comparison:
    return _report(_trials())


def test_decision_comes_first_with_names_trials_and_noise_floor(report: Comparison) -> None:
    assert report.gate.decision == "no_go"
    page = render_html(report)
    tags = _parse(page)
    assert tags.decision() == "no_go"
    first_section = next(attrs for tag, attrs in tags.tags if tag == "section")
    assert first_section == {"id": "decision", "class": "d-no_go", "data-decision": "no_go"}
    decision = page[page.index('id="decision"'):page.index('id="categories"')]
    assert '<div class="big">NO GO</div>' in decision
    assert "candidate <b>gemma-3 &lt;270m&gt;</b> vs baseline <b>gpt-4o-mini</b> · replica <b>gpt-4o-mini#2</b>" \
        in decision
    assert "36 trials · noise floor: measured on 36 replica trials" in decision
    for check in report.gate.checks:
        assert f"<td>{check.name}" in decision
    assert decision.count('<span class="badge crit">critical</span>') == 1
    assert '<span class="badge o-fail">fail</span>' in decision


def test_unknown_noise_floor_without_replica() -> None:
    page = render_html(_report(_trials(replica=False), replica=False))
    assert "noise floor: unknown: no replica" in page
    assert " · no replica</div>" in page


def test_every_string_from_data_is_escaped(report: Comparison) -> None:
    page = render_html(report)
    assert "alert(1)" in page
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;&quot;wrong&quot;&lt;/b&gt; &amp; more" in page
    assert "翻訳 &lt;i&gt;ja&lt;/i&gt;" in page
    assert "traffic &lt;x&gt;.jsonl" in page
    tags = [tag for tag, _ in _parse(page).tags]
    assert tags.count("script") == 1
    assert not {"i", "img", "iframe", "object", "embed", "link", "base"} & set(tags)
    assert tags.count("b") == page.count("<b>") == 3


def test_nothing_is_loaded_from_the_network(report: Comparison) -> None:
    page = render_html(report)
    for _, attrs in _parse(page).tags:
        assert "src" not in attrs
        assert (attrs.get("href") or "#").startswith("#")
        assert not (attrs.get("xmlns") or "")
    assert "url(" not in page and "@import" not in page
    assert "http://" not in page
    assert page.count("https://") == 1 and "&lt;/script&gt; see https://evil" in page  # model output, as text
    assert "default-src 'none'" in page


def test_differences_are_marked_word_by_word(report: Comparison) -> None:
    page = render_html(report)
    assert "The capital of France is <del>Paris</del>. Case 0." in page
    assert "The capital of France is <ins>Lyon</ins>. Case 0." in page
    assert "東京は日本の<ins>大きな</ins>首都です。" in page


def test_word_diff() -> None:
    assert word_diff("a b c", "a x c") == ("a <del>b</del> c", "a <ins>x</ins> c")
    assert word_diff("keep <this>", "keep <that> & more") == (
        "keep &lt;<del>this</del>&gt;", "keep &lt;<ins>that</ins>&gt;<ins> &amp; more</ins>")
    assert word_diff("東京は日本の首都です。", "京都は日本の古都です。") == (
        "<del>東</del>京は日本の<del>首</del>都です。",
        "京<ins>都</ins>は日本の<ins>古</ins>都です。")


def test_word_diff_aligns_lines_then_sentences_then_words() -> None:
    baseline = "Line one.\nThe cat sat. It was fine.\nEnd"
    candidate = "Line one.\nThe dog sat. It was fine.\nNew line\nEnd"
    assert word_diff(baseline, candidate) == (
        "Line one.\nThe <del>cat</del> sat. It was fine.\nEnd",
        "Line one.\nThe <ins>dog</ins> sat. It was fine.\n<ins>New line\n</ins>End")


@pytest.mark.parametrize("seed", range(40))
def test_word_diff_keeps_both_texts_whole(seed: int) -> None:
    rng = random.Random(seed)
    words = ["alpha", "beta.", "gamma\n", "<b>", "&", "東京", "です。", "x!", " "]
    baseline = " ".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
    candidate = " ".join(w if rng.random() < 0.7 else rng.choice(words) for w in baseline.split(" "))
    left, right = word_diff(baseline, candidate)
    assert "<ins>" not in left and "<del>" not in right
    assert html.unescape(re.sub(r"</?(?:del|ins)>", "", left)) == baseline
    assert html.unescape(re.sub(r"</?(?:del|ins)>", "", right)) == candidate


def test_word_diff_marks_a_block_too_large_to_align_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_report, "DIFF_BUDGET", 4)
    assert word_diff("a b c", "a x c") == ("<del>a b c</del>", "<ins>a x c</ins>")


def test_japanese_text_survives_the_file(report: Comparison, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(report, path)
    text = path.read_bytes().decode("utf-8")
    assert '<meta charset="utf-8">' in text
    assert "東京は日本の首都です。" in text


def test_sections_in_order(report: Comparison) -> None:
    page = render_html(report)
    ids = ["decision", "gate", "categories", "charts", "metrics", "worst", "trials"]
    positions = [page.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)


def test_categories_ranked_with_intervals(report: Comparison) -> None:
    page = render_html(report)
    table = page[page.index('id="categories"'):page.index('id="charts"')]
    names = re.findall(r"<tr class=\"(?:sig)?\"><td>([^<]*)", table)
    assert names == ["extract ", "翻訳 &lt;i&gt;ja&lt;/i&gt;", "chat"]
    assert '<td>extract <span class="badge o-fail">significant</span></td>' in table
    assert [c.significant for c in report.summary.categories.values()] == [True, False, False]
    assert table.count('<tr class="sig">') == 1
    assert "100.0%" in table and table.count('<svg class="ci"') == 3


def test_charts_are_inline_svg_and_skip_missing_data(report: Comparison) -> None:
    page = render_html(report)
    charts = page[page.index('id="charts"'):page.index('id="metrics"')]
    assert charts.count("<svg ") == 4
    assert "Not recorded" not in charts
    trials = [Trial(id=t.id, request=t.request, baseline=Outcome(output=t.baseline.output),
                    candidate=Outcome(output=t.candidate.output, error=t.candidate.error)) for t in _trials()]
    bare = render_html(_report(trials, replica=False))
    charts = bare[bare.index('id="charts"'):bare.index('id="metrics"')]
    assert charts.count("<svg ") == 1
    assert charts.count("Not recorded for enough trials on both sides.") == 3


def test_metrics_and_worst_trials(report: Comparison) -> None:
    page = render_html(report)
    metrics = page[page.index('id="metrics"'):page.index('id="worst"')]
    assert "<td class=\"\">regression_rate</td>" in metrics and "latency_p95_ratio" in metrics
    worst = page[page.index('id="worst"'):page.index('id="trials"')]
    assert worst.count('<article class="card">') == 10
    assert "error: timeout: 30 s" in worst
    assert "no answer: timeout: 30 s" in worst


def test_trial_list_is_capped(report: Comparison, monkeypatch: pytest.MonkeyPatch) -> None:
    page = render_html(report)
    assert page.count("<tr><td><code>t") == 36
    monkeypatch.setattr(html_report, "TRIAL_LIMIT", 5)
    page = render_html(report)
    assert page.count("<tr><td><code>t") == 5
    assert "Showing the first 5 of 36 trials (regressions first)" in page


# --- in a real browser ------------------------------------------------------------------------

def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; the Makefile does it)")
    command = [str(CHROMIUM) if CHROMIUM.exists() else "chromium", "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.browser
def test_browser_renders_the_decision(report: Comparison, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(report, path)
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    tags = _parse(dom)
    assert tags.decision() == report.gate.decision == "no_go"
    trial_filter = next(attrs for tag, attrs in tags.tags if attrs.get("id") == "trial-filter")
    assert "hidden" not in trial_filter  # the inline script ran, allowed by its hash in the CSP
    assert "東京は日本の<ins>大きな</ins>首都です。" in dom
    assert "<script>alert" not in dom


@pytest.mark.browser
def test_browser_screenshot(report: Comparison, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(report, path)
    shot = tmp_path / "r.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", path.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000
