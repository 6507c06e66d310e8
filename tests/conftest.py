"""Shared fixtures: a real store of each dialect, and a maker of stored observations.

Under CI (``CI`` is ``1``, ``true`` or ``yes``, as ``.ci/run`` exports it), a skipped test fails:
``make test`` installs every extra, PostgreSQL and Chromium, so a skip there means a missing
install step, not an optional piece (all-MiniLM-L6-v2, ``modelswap[minilm]``, included).

A test that hangs fails (pytest-timeout): after ``timeout`` in pyproject.toml (600 s), a
gateway test (``test_gateway*.py``) after ``GATEWAY_TIMEOUT_S`` and a real-model test
(``slow``) after ``SLOW_TIMEOUT_S``, unless the test carries its own ``timeout`` mark.

``store_url`` gives a fresh, empty store location: a SQLite file in ``tmp_path``, or a
schema of its own in the PostgreSQL database ``test`` (selected by search_path, dropped
afterwards; these cases are marked ``postgres``). ``store`` is the store opened there.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelswap.store import Store, open_store
from modelswap.types import ErrorInfo, Observation, ObservationKey, Role, StoredObservation, Usage

POSTGRES_URL = "postgresql://root@127.0.0.1:5432/test"
OPTIONAL_IN_CI: tuple[str, ...] = ()
GATEWAY_TIMEOUT_S = 180
SLOW_TIMEOUT_S = 1800


def under_ci() -> bool:
    """Whether ``CI`` says this is a CI run (``1``, ``true`` or ``yes``, any case)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _fail_skip_under_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if under_ci() and report.skipped and not any(name in str(report.longrepr) for name in OPTIONAL_IN_CI):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where make test installs everything: {report.longrepr}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    _fail_skip_under_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    """A module skipped as a whole (``importorskip`` at import) fails under CI too."""
    report: pytest.CollectReport = yield
    _fail_skip_under_ci(report)
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
        elif item.path.name.startswith("test_gateway"):
            item.add_marker(pytest.mark.timeout(GATEWAY_TIMEOUT_S))


MakeStored = Callable[..., StoredObservation]


@pytest.fixture(autouse=True)
def _checkpoints_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """``compare``'s checkpoints go to a directory of each test's own, never the working directory."""
    monkeypatch.setenv("MODELSWAP_STATE_DIR", str(tmp_path_factory.mktemp("checkpoints")))


@contextlib.contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL, dropped afterwards: its name (``schema_url`` makes a URL of it)."""
    psycopg = pytest.importorskip("psycopg")
    schema = f"modelswap_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def schema_url(schema: str) -> str:
    """The test PostgreSQL's URL with ``schema`` first on the search path."""
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL for one test, dropped afterwards (its name goes in the URL)."""
    with fresh_postgres_schema() as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with fresh_postgres_schema() as schema:
        yield schema_url(schema)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def _make_stored(trial_id: str = "t1", *, run: str = "run", arm: str = "cand", sample: int = 0,
                 role: Role = "candidate", model: str = "model-x", output: str | None = "ok",
                 usage: tuple[int, int] | None = (10, 5), error: tuple[str, str, int | None] | None = None,
                 **fields: Any) -> StoredObservation:
    """A stored observation with plain defaults.

    ``usage`` is (prompt_tokens, completion_tokens); ``error`` is (kind, message, status).
    """
    observation = Observation(
        arm=arm, model=model, output=output,
        usage=None if usage is None else Usage(prompt_tokens=usage[0], completion_tokens=usage[1]),
        error=None if error is None else ErrorInfo(kind=error[0], message=error[1], status=error[2]),  # type: ignore[arg-type]
        **fields)
    return StoredObservation(key=ObservationKey(run=run, trial_id=trial_id, arm=arm, sample=sample), role=role,
                             observation=observation)


@pytest.fixture
def make_stored() -> MakeStored:
    """``make_stored(trial_id, run=..., arm=..., sample=..., output=..., error=(kind, message, status), ...)``."""
    return _make_stored
