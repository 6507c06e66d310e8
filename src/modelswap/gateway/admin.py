"""The admin API: a route's rollout read and steered over HTTP, behind a bearer token.

What it is: ``AdminAPI`` with ``GET /admin/rollouts/{route}`` (the stored state, what this process
serves, the last audit entries, newest first; ``?limit=N``, default 10) and
``POST /admin/rollouts/{route}/{action}`` for ``set``, ``promote``, ``pause``, ``resume`` and
``rollback`` with a JSON body ``{"percent"?, "reason"?, "actor"?}`` (``percent`` for ``set`` only;
``actor`` defaults to ``admin-api``). An action goes through ``modelswap.rollout.control.apply``, the
code the CLI runs: read, transition, compare-and-set, retried once on a lost race. The state it
wrote is obeyed by this process at once and by the others at their next read; the transition is
counted and, when it is one, alerted (``modelswap.rollout.alerts``).

Every call needs ``Authorization: Bearer <token>``, the token being the value of the environment
variable named by ``admin.token_env``, read once when the app is built. Without an ``admin:``
section or with that variable unset or empty the API is off: 403 ``admin_disabled``. A missing or
malformed header is 401 ``missing_admin_token``, a wrong token 401 ``invalid_admin_token`` (both
with ``WWW-Authenticate: Bearer``). Tokens are compared with ``hmac.compare_digest`` and never
logged. Refusals are OpenAI-shaped error bodies: a route unknown or without a ``rollout:`` block
404, a bad body 400 naming the field, a transition the rules refuse 409 ``rollout_refused``, a store
that cannot be reached 503 ``store_unavailable``.

What it is not: the rules (``modelswap.rollout.state``), the in-memory states (``rollouts``) or
the app's wiring.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from modelswap.config import RolloutConfig, Settings, percent_to_bp
from modelswap.errors import RolloutError, StoreError
from modelswap.gateway.rollouts import RolloutStates
from modelswap.gateway.wire import ClientError, error_response, json_object
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.control import apply
from modelswap.rollout.state import Action, ActionKind, initial_state

logger = logging.getLogger(__name__)

MANUAL_ACTIONS: tuple[ActionKind, ...] = ("set", "promote", "pause", "resume", "rollback")
BODY_FIELDS = ("percent", "reason", "actor")
DEFAULT_ACTOR = "admin-api"
DEFAULT_LIMIT = 10
MAX_BODY_BYTES = 64 * 1024
_CHALLENGE = {"www-authenticate": "Bearer"}


class AdminAPI:
    """The admin endpoints of one app; ``states`` gives the app's rollout states once its lifespan started."""

    def __init__(self, settings: Settings, *, token: str | None, states: Callable[[], RolloutStates | None],
                 alerts: Alerts, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._token = token.encode() if token else None
        self._states = states
        self.alerts = alerts
        self.clock = clock

    async def show(self, request: Request) -> Response:
        """``GET /admin/rollouts/{route}``: the stored state, this process's state and the latest audit entries."""
        try:
            self._authorize(request)
            name, plan, states = self._route(request)
            limit = _limit(request.query_params.get("limit"))
            stored, entries = await asyncio.to_thread(_read, states, name, limit)
        except ClientError as exc:
            return _refusal(exc)
        serving = states.get(name)
        return _json({"route": name, "written": stored is not None,
                      "state": (stored or initial_state(name, plan)).to_json(),
                      "serving": {"state": None if serving is None else serving.to_json(), "stale": states.stale},
                      "audit": [entry.to_json() for entry in entries]})

    async def act(self, request: Request) -> Response:
        """``POST /admin/rollouts/{route}/{action}``: one audited transition through ``rollout.control.apply``."""
        try:
            self._authorize(request)
            name, plan, states = self._route(request)
            kind = _action(request.path_params["action"])
            action = self._parse(kind, await request.body())
            applied = await asyncio.to_thread(_apply, states, name, plan, action)
        except ClientError as exc:
            return _refusal(exc)
        states.put(applied.state)
        self.alerts.notify(applied.entry)
        entry = applied.entry
        logger.warning("rollout of route %s: %s %g%% -> %g%% by %s through the admin API (version %d)", name,
                       entry.action, entry.from_percent_bp / 100, entry.to_percent_bp / 100, entry.actor,
                       entry.version)
        return _json({"route": name, "state": applied.state.to_json(), "entry": entry.to_json(),
                      "raced": None if applied.raced is None else applied.raced.to_json()})

    def _authorize(self, request: Request) -> None:
        if self._token is None:
            raise ClientError(f"the admin API is off: set admin.token_env and put a token in that environment "
                              f"variable ({self._token_env()})", status=403, code="admin_disabled")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ClientError("the admin API needs 'Authorization: Bearer <token>'", status=401,
                              code="missing_admin_token")
        if not hmac.compare_digest(given.strip().encode(), self._token):
            raise ClientError("the admin token is not valid", status=401, code="invalid_admin_token")

    def _token_env(self) -> str:
        admin = self.settings.admin
        return f"now {admin.token_env}, unset or empty" if admin is not None else "no admin: section"

    def _route(self, request: Request) -> tuple[str, RolloutConfig, RolloutStates]:
        name = request.path_params["route"]
        route = self.settings.routes.get(name)
        if route is None or route.rollout is None:
            with_plan = sorted(n for n, r in self.settings.routes.items() if r.rollout is not None)
            why = "does not exist" if route is None else "has no rollout: block"
            raise ClientError(f"route {name!r} {why}; routes with a rollout: {', '.join(with_plan) or '(none)'}",
                              status=404, param="route", code="route_not_found")
        states = self._states()
        if states is None:
            raise ClientError("the gateway is not running", status=503, code="not_ready")
        return name, route.rollout, states

    def _parse(self, kind: ActionKind, raw: bytes) -> Action:
        if len(raw) > MAX_BODY_BYTES:
            raise ClientError(f"request body exceeds {MAX_BODY_BYTES} bytes", status=413, code="request_too_large")
        body = json_object(raw, allowed=BODY_FIELDS) if raw.strip() else {}
        percent_bp = _percent(kind, body.get("percent"))
        reason, actor = body.get("reason", ""), body.get("actor", DEFAULT_ACTOR)
        for field, value in (("reason", reason), ("actor", actor)):
            if not isinstance(value, str) or (field == "actor" and not value.strip()):
                raise ClientError(f"'{field}' must be a {'non-empty ' if field == 'actor' else ''}string", param=field,
                                  code="invalid_type")
        return Action(kind=kind, actor=actor, at=self.clock(), reason=reason, percent_bp=percent_bp)


def _read(states: RolloutStates, route: str, limit: int) -> tuple[Any, list[Any]]:
    try:
        return states.store.rollout_state(route), states.store.rollout_audit(route, limit=limit) if limit else []
    except StoreError as exc:
        raise _unavailable(exc) from None


def _apply(states: RolloutStates, route: str, plan: RolloutConfig, action: Action) -> Any:
    try:
        return apply(states.store, route, plan, action)
    except RolloutError as exc:
        raise ClientError(str(exc), status=409, code="rollout_refused") from None
    except StoreError as exc:
        raise _unavailable(exc) from None


def _unavailable(exc: StoreError) -> ClientError:
    return ClientError(f"the store cannot be read or written now ({type(exc).__name__}); try again", status=503,
                       code="store_unavailable")


def _action(value: str) -> ActionKind:
    for kind in MANUAL_ACTIONS:
        if value == kind:
            return kind
    raise ClientError(f"unknown action {value!r}; expected one of {', '.join(MANUAL_ACTIONS)}", status=404,
                      param="action", code="unknown_action")


def _percent(kind: ActionKind, value: Any) -> int | None:
    if kind != "set":
        if value is not None:
            raise ClientError(f"'percent' applies to set only, not to {kind}", param="percent",
                              code="unknown_parameter")
        return None
    if value is None:
        raise ClientError("missing required parameter: 'percent'", param="percent", code="missing_required_parameter")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClientError("'percent' must be a number from 0 to 100", param="percent", code="invalid_type")
    try:
        return percent_to_bp(value)
    except ValueError as exc:
        raise ClientError(f"'percent': {exc}", param="percent", code="invalid_value") from None


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) > 1000:
        raise ClientError("'limit' must be an integer from 0 to 1000", param="limit", code="invalid_value")
    return int(raw)


def _refusal(exc: ClientError) -> Response:
    return error_response(exc, headers=_CHALLENGE if exc.status == 401 else None)


def _json(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


__all__ = ["MANUAL_ACTIONS", "AdminAPI"]
