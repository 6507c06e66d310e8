"""The ``embeddings`` commands: vector indexes listed, aliases cut over, rolled back and shown, old indexes collected.

What it is: ``modelswap embeddings indexes`` (every index at ``--indexes``, with its fingerprint,
size and what serves or retains it), ``cutover ALIAS INDEX [--retain 7d]`` (one atomic switch; the
index left is kept for the retention), ``rollback ALIAS`` (back to the previous index, while it is
retained), ``status ALIAS`` (what it serves, what it would roll back to, its last switches) and
``gc`` (indexes past retention that no alias serves are dropped). Aliases live in the store named
by ``-c modelswap.yaml``; indexes at ``--indexes`` (an embedded directory or a ``postgresql://``
URL; ``$MODELSWAP_INDEXES``, else ``./modelswap-indexes``). Problems are ``ModelswapError``\\ s (the
CLI's entry point prints them as one line, exit 3). What it is not: the index backends
(``modelswap.embeddings.index``), the alias semantics (``modelswap.embeddings.alias``), nor
re-embedding and churn reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from modelswap import cli_embeddings_churn
from modelswap.config import config_path, load_settings
from modelswap.embeddings import alias as aliases
from modelswap.embeddings.index import list_indexes
from modelswap.rollout.control import default_actor as _actor
from modelswap.store import Store, open_store

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store holding the "
                                                   "aliases; default: $MODELSWAP_CONFIG or ./modelswap.yaml).")]
IndexesOption = Annotated[str, typer.Option("--indexes", envvar="MODELSWAP_INDEXES",
                                            help="Where the indexes are: a directory (embedded) or a "
                                                 "postgresql:// URL (pgvector).")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who (default: the OS user).")]
AliasArgument = Annotated[str, typer.Argument(metavar="ALIAS", help="The name readers query.")]
DEFAULT_INDEXES = "modelswap-indexes"


def register(app: typer.Typer, *, out: Console, err: Console, decision_exit: Callable[[int], NoReturn]) -> None:
    """Add the ``embeddings`` command group to ``app``."""
    embeddings_app = typer.Typer(no_args_is_help=True, help="Embedding indexes: fingerprints, aliases, cutover.")
    app.add_typer(embeddings_app, name="embeddings")
    cli_embeddings_churn.register(embeddings_app, out=out, decision_exit=decision_exit)

    def say(line: str) -> None:
        out.print(line, markup=False, highlight=False, soft_wrap=True)

    def store_of(config: Path | None) -> Store:
        return open_store(load_settings(config).store)

    @embeddings_app.command("indexes")
    def indexes_command(indexes: IndexesOption = DEFAULT_INDEXES, config: ConfigOption = None) -> None:
        """Every index: name, backend, rows, bytes, fingerprint, and the alias serving or retaining it."""
        found = list_indexes(indexes)
        roles: dict[str, str] = {}
        if config is not None or config_path(None).exists():
            with store_of(config) as store:
                for alias in aliases.list_aliases(store):
                    roles[alias.index_name] = f"serves {alias.alias}"
                for name, until in aliases.retained(store).items():
                    roles.setdefault(name, f"retained until {_when(until)}")
        if not found:
            say(f"no indexes at {indexes}")
        for info in found:
            size = "" if info.bytes is None else f"  {info.bytes / 1e6:,.1f} MB"
            role = f"  {roles[info.name]}" if info.name in roles else ""
            say(f"{info.name}  {info.backend}  {info.size:,} rows{size}  {info.fingerprint.describe()}{role}")

    @embeddings_app.command("cutover")
    def cutover_command(
        alias: AliasArgument,
        index: Annotated[str, typer.Argument(metavar="INDEX", help="The index the alias serves from now on.")],
        retain: Annotated[str, typer.Option("--retain", help="How long the index left is kept for a rollback "
                                                            "(30m, 12h, 7d, 2w).")] = "7d",
        indexes: IndexesOption = DEFAULT_INDEXES, config: ConfigOption = None, by: ByOption = None,
    ) -> None:
        """Point ALIAS at INDEX in one atomic switch; the index it served is kept for --retain."""
        retain_s = _duration(retain)
        with store_of(config) as store:
            switched = aliases.cutover(store, alias, index, retain_s=retain_s, actor=by or _actor(), location=indexes,
                                       now=_now())
        kept = f"; {switched.previous_index} kept until {_when(switched.retain_until)}" \
            if switched.previous_index is not None and switched.retain_until is not None else ""
        say(f"{alias} -> {switched.index_name} (version {switched.version}){kept}")

    @embeddings_app.command("rollback")
    def rollback_command(alias: AliasArgument, config: ConfigOption = None, by: ByOption = None) -> None:
        """Point ALIAS back at the index it served before the last switch (while that one is retained)."""
        with store_of(config) as store:
            switched = aliases.rollback(store, alias, actor=by or _actor(), now=_now())
        say(f"{alias} -> {switched.index_name} (version {switched.version}, rolled back); "
            f"{switched.previous_index} kept until {_when(switched.retain_until)}")

    @embeddings_app.command("status")
    def status_command(alias: AliasArgument, config: ConfigOption = None,
                       last: Annotated[int, typer.Option("--last", min=1, help="Switches to show.")] = 5) -> None:
        """What ALIAS serves, what a rollback would return to, and its last switches."""
        with store_of(config) as store:
            current = aliases.get_alias(store, alias)
            if current is None:
                raise aliases.AliasError(f"alias {alias!r}: no such alias (modelswap embeddings cutover {alias} INDEX)")
            kept = aliases.retained(store)
            switches = aliases.history(store, alias, limit=last)
        say(f"{alias} serves {current.index_name} (version {current.version}, since {_when(current.switched_at)} "
            f"by {current.actor})")
        if current.previous_index is None:
            say("rollback: nothing to roll back to")
        elif current.previous_index in kept:
            say(f"rollback: to {current.previous_index}, kept until {_when(kept[current.previous_index])}")
        else:
            say(f"rollback: {current.previous_index} is no longer retained")
        for switch in switches:
            say(f"  v{switch.version}  {_when(switch.at)}  {switch.action}  {switch.from_index or '-'} -> "
                f"{switch.to_index}  by {switch.actor}")

    @embeddings_app.command("gc")
    def gc_command(indexes: IndexesOption = DEFAULT_INDEXES, config: ConfigOption = None,
                   dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be dropped.")] = False
                   ) -> None:
        """Drop the indexes past their retention that no alias serves."""
        with store_of(config) as store:
            if dry_run:
                serving = {alias.index_name for alias in aliases.list_aliases(store)}
                now = _now()
                due = [name for name, until in aliases.retained(store).items() if until <= now and name not in serving]
                say("would drop: " + (", ".join(due) if due else "nothing"))
                return
            dropped = aliases.collect_garbage(store, indexes, now=_now())
        say("dropped: " + (", ".join(dropped) if dropped else "nothing"))

    del err  # errors reach the entry point as ModelswapError


def _now() -> float:
    return time.time()


def _duration(text: str) -> float:
    try:
        return aliases.parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _when(at: float | None) -> str:
    return "-" if at is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(at))
