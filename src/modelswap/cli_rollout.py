"""The ``rollout`` commands: a route's canary rollout, read and steered by hand.

What it is: ``modelswap rollout status ROUTE [--json]`` (the stored state, the plan with the current
stage marked, the last audit entries) and ``set ROUTE --percent P``, ``promote``, ``pause``,
``resume``, ``rollback ROUTE``, each one audited transition (``--reason``, ``--actor``, default the
OS user) written to the store named by ``-c modelswap.yaml``. Problems are ``ModelswapError``\\ s
(the CLI's entry point prints them as one line, exit 3). What it is not: the rules
(``modelswap.rollout.state``), the compare-and-set and its retry (``modelswap.rollout.control``),
the automatic controller (``rollout control``: ``modelswap.cli_rollout_control``), or the admin
API. A transition made here is alerted to the configured webhooks like the controller's.
``simulate ROUTE`` rehearses the route's plan against
simulator arms in virtual time (``modelswap.rollout.simulate``) and prints the decisions.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console

from modelswap.cli_rollout_control import register_control
from modelswap.cli_rollout_drift import register_drift
from modelswap.compare.gate import load_policy
from modelswap.config import RolloutConfig, SimArm, config_path, load_settings, percent_to_bp
from modelswap.errors import ConfigError
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.control import Applied, apply, default_actor, describe
from modelswap.rollout.simulate import Rehearsal, RehearsalResult, rehearse
from modelswap.rollout.state import Action, ActionKind, initial_state
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec
from modelswap.store import open_store
from modelswap.types import AuditEntry, RolloutState

STATUS_SCHEMA = "modelswap.rollout-status/v1"
REHEARSAL_SCHEMA = "modelswap.rollout-rehearsal/v1"

RouteArgument = Annotated[str, typer.Argument(metavar="ROUTE", help="The route (a name under routes: with a "
                                                                    "rollout: block).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store and the plan; "
                                                   "default: $MODELSWAP_CONFIG or ./modelswap.yaml).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why: kept in the audit log.")]
ActorOption = Annotated[str | None, typer.Option("--actor", help="Who (default: the OS user).")]


def register(app: typer.Typer, *, out: Console, err: Console) -> None:
    """Add the ``rollout`` command group to ``app``."""
    rollout_app = typer.Typer(no_args_is_help=True, help="A route's canary rollout: status and manual control.")
    app.add_typer(rollout_app, name="rollout")
    register_control(rollout_app, out=out, err=err)
    register_drift(rollout_app, out=out, err=err)

    def act(kind: ActionKind, route: str, config: Path | None, reason: str, actor: str | None,
            percent: float | None = None) -> None:
        plan, store_url = _plan(config, route)
        bp = None if percent is None else _basis_points(percent)
        action = Action(kind=kind, actor=default_actor() if actor is None else actor, at=_now(), reason=reason,
                        percent_bp=bp)
        with open_store(store_url) as store:
            applied = apply(store, route, plan, action)
        alerts = Alerts(load_settings(config).alerts.webhooks)  # a rollback by hand is alerted like any other
        alerts.notify(applied.entry)
        alerts.close()
        if applied.raced is not None:
            err.print(f"note: the rollout changed while this ran ({describe(applied.raced)}); "
                      f"{kind} was applied to that state", markup=False, highlight=False, soft_wrap=True)
        out.print(_done_line(applied), markup=False, highlight=False, soft_wrap=True)

    @rollout_app.command("status")
    def status_command(
        route: RouteArgument, config: ConfigOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema modelswap.rollout-status/v1).")]
            = False,
        limit: Annotated[int, typer.Option("--limit", min=0, help="Audit entries to show, newest first.")] = 10,
    ) -> None:
        """Show ROUTE's rollout: its state, the plan with the current stage marked, the last audit entries."""
        plan, store_url = _plan(config, route)
        with open_store(store_url) as store:
            stored = store.rollout_state(route)
            entries = store.rollout_audit(route, limit=limit) if limit else []
        state = stored or initial_state(route, plan)
        if as_json:
            data = status_json(state, plan, entries, written=stored is not None)
            out.print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode(), markup=False, highlight=False,
                      soft_wrap=True)
            return
        for line in status_lines(state, plan, entries, written=stored is not None):
            out.print(line, markup=False, highlight=False, soft_wrap=True)

    @rollout_app.command("set")
    def set_command(
        route: RouteArgument,
        percent: Annotated[float, typer.Option("--percent", help="Share of keys on the candidate, 0 to 100 "
                                                                 "(steps of 0.01).")],
        config: ConfigOption = None, reason: ReasonOption = "", actor: ActorOption = None,
    ) -> None:
        """Put PERCENT of ROUTE's keys on the candidate (the stage becomes the last at or below it)."""
        act("set", route, config, reason, actor, percent)

    @rollout_app.command("promote")
    def promote_command(route: RouteArgument, config: ConfigOption = None, reason: ReasonOption = "",
                        actor: ActorOption = None) -> None:
        """Send all of ROUTE's traffic to the candidate (100%, promoted)."""
        act("promote", route, config, reason, actor)

    @rollout_app.command("pause")
    def pause_command(route: RouteArgument, config: ConfigOption = None, reason: ReasonOption = "",
                      actor: ActorOption = None) -> None:
        """Hold ROUTE at its percentage: the controller does not advance a paused rollout."""
        act("pause", route, config, reason, actor)

    @rollout_app.command("resume")
    def resume_command(route: RouteArgument, config: ConfigOption = None, reason: ReasonOption = "",
                       actor: ActorOption = None) -> None:
        """Let a paused rollout of ROUTE run again (its stage's soak starts again)."""
        act("resume", route, config, reason, actor)

    @rollout_app.command("rollback")
    def rollback_command(route: RouteArgument, config: ConfigOption = None, reason: ReasonOption = "",
                         actor: ActorOption = None) -> None:
        """Send all of ROUTE's traffic back to the primary at once (0%, rolled_back)."""
        act("rollback", route, config, reason, actor)

    @rollout_app.command("simulate")
    def simulate_command(
        route: RouteArgument, config: ConfigOption = None,
        candidate_quirks: Annotated[str | None, typer.Option(
            "--candidate-quirks", help="The candidate's simulator quirks as JSON (default: the arm's own when it is "
                                       "backend: sim, else none).")] = None,
        primary_quirks: Annotated[str | None, typer.Option(
            "--primary-quirks", help="The primary's simulator quirks as JSON (same default).")] = None,
        rate: Annotated[float, typer.Option("--rate", min=0.001, help="Requests per virtual second.")] = 20.0,
        users: Annotated[int, typer.Option("--users", min=1, help="Sticky users the requests come from.")] = 5000,
        seed: Annotated[int, typer.Option("--seed", help="The rehearsal's seed (traffic and users).")] = 0,
        shadow_trials: Annotated[int, typer.Option("--shadow-trials", min=0, help="Read the shadow comparison once, "
                                                   "at this many trials (0: no shadow comparison).")] = 300,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema modelswap.rollout-rehearsal/v1).")]
            = False,
    ) -> None:
        """Rehearse ROUTE's plan against simulator arms in virtual time and print every decision."""
        settings = load_settings(config)
        plan, _ = _plan(config, route)
        primary = settings.routes[route].primary
        specs = {role: _sim_spec(settings.arms.get(arm), quirks, default_seed=seed_of, option=option)
                 for role, arm, quirks, seed_of, option in (
                     ("primary", primary, primary_quirks, 1, "--primary-quirks"),
                     ("candidate", plan.candidate, candidate_quirks, 2, "--candidate-quirks"))}
        rehearsal = Rehearsal(route=route, plan=plan, primary=primary, primary_spec=specs["primary"],
                              candidate_spec=specs["candidate"], rate=rate, users=users, seed=seed,
                              shadow_looks=(shadow_trials,) if shadow_trials else ())
        result = rehearse(rehearsal, policy=load_policy(None if plan.gate == "default" else plan.gate))
        if as_json:
            out.print(orjson.dumps(rehearsal_json(rehearsal, result), option=orjson.OPT_INDENT_2).decode(),
                      markup=False, highlight=False, soft_wrap=True)
            return
        for line in rehearsal_lines(rehearsal, result):
            out.print(line, markup=False, highlight=False, soft_wrap=True)


def _sim_spec(arm: object, quirks_json: str | None, *, default_seed: int, option: str) -> SimArmSpec:
    """The simulator standing in for an arm: its own seed and quirks when it is ``backend: sim``, else defaults."""
    seed, quirks = (arm.seed, arm.quirks) if isinstance(arm, SimArm) else (default_seed, Quirks())
    if quirks_json is not None:
        try:
            quirks = Quirks.model_validate(orjson.loads(quirks_json))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else (
                f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}: {exc.errors()[0]['msg']}")
            raise typer.BadParameter(f"not valid quirks JSON: {first}", param_hint=option) from None
    return SimArmSpec(seed=seed, quirks=quirks)


def rehearsal_json(rehearsal: Rehearsal, result: RehearsalResult) -> dict[str, Any]:
    """What ``simulate --json`` prints: the inputs, the final state, the timeline and the audit entries."""
    def arm(name: str, spec: SimArmSpec) -> dict[str, Any]:
        return {"arm": name, "seed": spec.seed, "quirks": spec.quirks.model_dump(mode="json", exclude_defaults=True)}

    return {"schema": REHEARSAL_SCHEMA, "route": rehearsal.route,
            "primary": arm(rehearsal.primary, rehearsal.primary_spec),
            "candidate": arm(rehearsal.plan.candidate, rehearsal.candidate_spec), "rate": rehearsal.rate,
            "users": rehearsal.users, "seed": rehearsal.seed, **result.to_json()}


def rehearsal_lines(rehearsal: Rehearsal, result: RehearsalResult) -> list[str]:
    """What ``simulate`` prints: a line of inputs, the decisions as a table, and the outcome."""
    def quirks(spec: SimArmSpec) -> str:
        given = spec.quirks.model_dump(mode="json", exclude_defaults=True)
        return orjson.dumps(given).decode() if given else "no quirks"

    lines = [f"rehearsal of route {rehearsal.route}: candidate {rehearsal.plan.candidate} (sim seed "
             f"{rehearsal.candidate_spec.seed}, {quirks(rehearsal.candidate_spec)}) against primary "
             f"{rehearsal.primary} (sim seed {rehearsal.primary_spec.seed}, {quirks(rehearsal.primary_spec)})",
             f"{rehearsal.rate:g} requests per virtual second from {rehearsal.users} users, seed {rehearsal.seed}",
             f"  {'time':>8}  {'stage':>5}  {'percent':>7}  {'action':<12}  reason"]
    for row in result.timeline:
        stage = str(row.stage + 1) if row.stage >= 0 else "-"
        lines.append(f"  {_clock(row.at_s):>8}  {stage:>5}  {row.percent:>6g}%  {row.action:<12}  {row.reason}")
    lines.append(f"outcome: {result.state.status} at {result.state.percent:g}% after {_clock(result.virtual_s)} "
                 f"virtual ({result.requests} requests; highest {result.highest_percent:g}%; "
                 f"{len(result.audit)} audit entries)")
    return lines


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _plan(config: Path | None, route: str) -> tuple[RolloutConfig, str]:
    """The route's rollout plan and the store URL, or a ``ConfigError`` naming the file and the route."""
    settings = load_settings(config)
    path = str(config_path(config))
    found = settings.routes.get(route)
    if found is None:
        known = ", ".join(sorted(settings.routes)) or "(none)"
        raise ConfigError(f"unknown route {route!r}; expected one of {known}", key="routes", path=path)
    if found.rollout is None:
        raise ConfigError("has no rollout: block, so it has no plan to control (docs/rollout.md#configuration)",
                          key=f"routes.{route}", path=path)
    return found.rollout, settings.store


def _basis_points(percent: float) -> int:
    try:
        return percent_to_bp(percent)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--percent") from None


def _now() -> float:
    """When an action happens: the wall clock (a test replaces this function)."""
    return time.time()



def _done_line(applied: Applied) -> str:
    entry = applied.entry
    moved = f", candidate {applied.before.candidate} -> {entry.candidate}" if (
        applied.before.candidate != entry.candidate) else ""
    return (f"{entry.route}: {entry.action} {_pct(entry.from_percent_bp)} -> {_pct(entry.to_percent_bp)}, "
            f"{entry.from_status} -> {entry.to_status}{moved} (version {entry.version}, by {entry.actor})")


def status_json(state: RolloutState, plan: RolloutConfig, entries: list[AuditEntry], *, written: bool
                ) -> dict[str, Any]:
    """What ``status --json`` prints: the state, the plan (each stage marked current or not), the audit entries."""
    stages = [{"percent": stage.percent, "percent_bp": stage.percent_bp, "min_trials": stage.min_trials,
               "soak_s": stage.soak_s, "current": i == state.stage} for i, stage in enumerate(plan.stages)]
    return {
        "schema": STATUS_SCHEMA,
        "route": state.route,
        "written": written,
        "state": state.to_json(),
        "plan": {"candidate": plan.candidate, "sticky": plan.sticky,
                 "segments": [segment.model_dump() for segment in plan.segments], "stages": stages,
                 "guards": plan.guards.model_dump(), "gate": plan.gate, "salt": plan.salt},
        "audit": [entry.to_json() for entry in entries],
    }


def status_lines(state: RolloutState, plan: RolloutConfig, entries: list[AuditEntry], *, written: bool
                 ) -> list[str]:
    """What ``status`` prints, line by line."""
    where = f"stage {state.stage + 1} of {len(plan.stages)}" if state.stage >= 0 else "before the first stage"
    lines = [f"route {state.route}: candidate {state.candidate} at {_pct(state.percent_bp)} ({where}), "
             f"{state.status}"]
    if written:
        started = "" if state.stage_started_at is None else f"; stage started {_time(state.stage_started_at)}"
        lines.append(f"version {state.version}, updated {_time(state.updated_at)} by {state.updated_by}{started}")
    else:
        lines.append("never written: this is the initial state")
    if state.candidate != plan.candidate:
        lines.append(f"warning: the configuration now names candidate {plan.candidate}")
    guards = ", ".join(f"{name} {value:g}" for name, value in plan.guards.model_dump().items() if value is not None)
    sticky = " ".join(next(iter(plan.sticky.items())))
    lines += [f"plan: gate {plan.gate}; guards: {guards or 'none'}; sticky: {sticky}; segments: "
              f"{len(plan.segments)}", "  stage  percent  min_trials  soak"]
    for i, stage in enumerate(plan.stages):
        mark = ">" if i == state.stage else " "
        now = f"  (now {_pct(state.percent_bp)})" if i == state.stage and stage.percent_bp != state.percent_bp else ""
        lines.append(f"{mark} {i + 1:>5}  {_pct(stage.percent_bp):>7}  {stage.min_trials:>10}  "
                     f"{_duration(stage.soak_s)}{now}")
    lines.append(f"audit: {len(entries)} latest entr{'y' if len(entries) == 1 else 'ies'}, newest first"
                 if entries else "audit: no entries")
    for entry in entries:
        figures = f" figures {orjson.dumps(entry.figures).decode()}" if entry.figures else ""
        reason = f" reason: {entry.reason}" if entry.reason else ""
        lines.append(f"  v{entry.version} {_time(entry.at)} {entry.actor} {entry.action} "
                     f"{_pct(entry.from_percent_bp)} -> {_pct(entry.to_percent_bp)}, "
                     f"{entry.from_status} -> {entry.to_status};{reason}{figures}".rstrip(";"))
    return lines


def _pct(bp: int) -> str:
    return f"{bp / 100:g}%"


def _time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
