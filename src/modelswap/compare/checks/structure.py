"""JSON structure: does the other side still send the JSON the product parses, in the same shape.

What it is: ``StructureComparator`` and its checks ``json.valid``, ``json.fenced``,
``json.prose``, ``json.recoverable``, ``json.schema``, ``json.wrapped``, ``json.keys`` and
``json.types``, with ``read_json`` (how a text carries its JSON). What it is not: whether the
values are right (``correctness``), truncation (``truncation``), or any repair of broken JSON.

When it applies: ``expect.format == "json"``, an ``expect.schema`` or ``expect.fields``, a JSON
``response_format`` in the request, or a baseline that answered with JSON: a bare or fenced
object or array (even a broken one, cut off or malformed), or one inside prose when it makes up
at least half of the answer or when the prose or the request says "JSON". A prose answer that
merely quotes ``[1, 2]`` is not a JSON contract. A side that errored is not compared (no answer to judge).

Where ``expect`` says nothing the baseline is the contract: its form (bare or fenced), its
keys and its types are what the product was tuned to. A contract in ``expect`` decides the
direction instead, so the other side can *improve* on a baseline that broke it:
``expect.format == "json"`` (or a JSON ``response_format``) asks for bare JSON, so dropping a
fence the baseline used is an improvement there and only ``changed`` elsewhere;
``schema.properties``/``required`` and the gold ``fields`` name the top-level keys (gold keys
are required); schema ``type`` and gold values name the types. Nested keys are always judged
against the baseline. Severities: losing parseable, recoverable or conforming JSON, a required
key or a value's type is ``major``; fences, prose, wrappers and added keys are ``minor``.

Neutral look-alikes stay ``same``: key order, indentation and whitespace, ``34`` vs ``34.0``,
string casing (values compare by ``correctness.same_value``), different prose around JSON on
both sides, both sides fenced. Keys are renamed when a missing and an added key have the same
name words (``first_name``, ``firstName``, ``name_first``) or, failing that, the one equal value.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
from jsonschema.validators import validator_for  # type: ignore[import-untyped]
from referencing import Registry
from referencing.exceptions import Unresolvable

from modelswap.compare.checks.base import Comparator
from modelswap.compare.checks.correctness import is_number, json_type, matches_gold, same_value, spelled_number
from modelswap.compare.model import SEVERITIES, Finding, Outcome, Severity, Status
from modelswap.parse import extract_json, parse_strict
from modelswap.types import ChatRequest, message_text

PARSER = "a defensive parser (modelswap.parse.extract_json)"
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\r?\n(.*?)```", re.DOTALL)
_NAME_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_A-Za-z]+")
_NUMERIC = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_JSON_WORD = re.compile(r"\bjson\b", re.IGNORECASE)
_CLIP = 80
Path = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class JsonReading:
    """How one answer carries its JSON: strictly valid, recovered (and how), prose around it, fenced."""

    valid: bool
    found: bool
    value: Any
    how: str
    prose: str
    fenced: bool
    form: str


@functools.lru_cache(maxsize=256)  # the baseline is read once against the candidate and once against the replica
def read_json(text: str) -> JsonReading:
    """The JSON of ``text``: the whole text when it parses, else what ``extract_json`` recovers."""
    fenced = any(m.group(1).lstrip()[:1] in ("{", "[") for m in _FENCE.finditer(text))
    valid, value = parse_strict(text)
    if valid:
        return JsonReading(valid=True, found=True, value=value, how="bare", prose="", fenced=False,
                           form="format:bare-json")
    found = extract_json(text)
    if found is None:
        broken = "fenced-json" if fenced else "broken-json" if text.strip()[:1] in ("{", "[") else "prose"
        return JsonReading(valid=False, found=False, value=None, how="none", prose="", fenced=fenced,
                           form=f"format:{broken if text.strip() else 'empty'}")
    prose = " … ".join(part for part in (found.before, found.after) if part)
    form = "format:fenced-json" if found.how == "fenced" else "format:json-in-prose"
    return JsonReading(valid=False, found=True, value=found.value, how=found.how, prose=prose,
                       fenced=fenced or found.how == "fenced", form=form)


def _bare_asked(request: ChatRequest) -> bool:
    """Whether the request asks for bare JSON: ``expect.format == "json"`` or a JSON ``response_format``."""
    response_format = request.params.get("response_format")
    return request.expect.get("format") == "json" or (
        isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema"))


def json_expected(request: ChatRequest, baseline: JsonReading, baseline_text: str) -> bool:
    """Whether the trial has a JSON contract (module docstring)."""
    if _bare_asked(request) or any(isinstance(request.expect.get(key), dict) for key in ("schema", "fields")):
        return True
    if baseline.form in ("format:broken-json", "format:fenced-json"):
        return True
    if not baseline.found or not isinstance(baseline.value, (dict, list)):
        return False
    if baseline.how == "bare" or 2 * len(baseline.prose) <= len(baseline_text.strip()):
        return True
    texts = [baseline.prose, *(message_text(message) for message in request.messages)]
    return any(_JSON_WORD.search(text) for text in texts)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Contract:
    schema: dict[str, Any] | None
    gold: dict[str, Any] | None
    required: frozenset[str]
    known: frozenset[str]


def _contract(expect: dict[str, Any]) -> _Contract:
    schema = expect["schema"] if isinstance(expect.get("schema"), dict) else None
    gold = expect["fields"] if isinstance(expect.get("fields"), dict) else None
    properties, required = (schema or {}).get("properties"), (schema or {}).get("required")
    gold_keys = frozenset(gold or {})
    return _Contract(schema=schema, gold=gold,
                     required=frozenset(map(str, required) if isinstance(required, list) else ()) | gold_keys,
                     known=frozenset(properties if isinstance(properties, dict) else ()) | gold_keys)


@dataclass(kw_only=True, slots=True)
class _Diff:
    added: list[Path] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)
    renamed: list[tuple[Path, Path]] = field(default_factory=list)
    types: list[tuple[Path, Any, Any]] = field(default_factory=list)
    objects: bool = False


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(sorted(part.casefold() for part in _NAME_PART.findall(name))) or (name,)


def _renames(base: dict[str, Any], other: dict[str, Any], missing: list[str], added: list[str]
             ) -> list[tuple[str, str]]:
    pairs, free = [], list(added)
    for old in missing:
        new = next((key for key in free if _name_key(key) == _name_key(old)), None)
        if new is not None:
            pairs.append((old, new))
            free.remove(new)
    for old in (key for key in missing if key not in dict(pairs) and base[key] not in (None, "")):
        equal = [key for key in free if same_value(base[old], other[key])]
        if len(equal) == 1:
            pairs.append((old, equal[0]))
            free.remove(equal[0])
    return pairs


def _walk(base: Any, other: Any, path: Path, diff: _Diff) -> None:
    if json_type(base) != json_type(other):
        diff.types.append((path, base, other))
    elif isinstance(base, dict):
        diff.objects = True
        missing, added = [k for k in base if k not in other], [k for k in other if k not in base]
        renamed = _renames(base, other, missing, added)
        diff.renamed += [((*path, old), (*path, new)) for old, new in renamed]
        diff.missing += [(*path, k) for k in missing if k not in {old for old, _ in renamed}]
        diff.added += [(*path, k) for k in added if k not in {new for _, new in renamed}]
        for old, new in [(k, k) for k in base if k in other] + renamed:
            _walk(base[old], other[new], (*path, old), diff)
    elif isinstance(base, list):
        for index, (b, o) in enumerate(zip(base, other, strict=False)):
            _walk(b, o, (*path, index), diff)


def _render(path: Path) -> str:
    out = ""
    for part in path:
        out += "[]" if isinstance(part, int) else f".{part}" if out else part
    return out or "$"


def _unique(paths: list[Path]) -> list[str]:
    return list(dict.fromkeys(_render(path) for path in paths))


def _worst(judged: list[tuple[Status, Severity]]) -> tuple[Status, Severity]:
    for status in ("regression", "improvement", "changed"):
        severities = [severity for s, severity in judged if s == status]
        if severities:
            return status, max(severities, key=SEVERITIES.index)
    return "same", "info"


def _judge_key(path: Path, added: bool, contract: _Contract) -> tuple[Status, Severity]:
    """A key the other side added (or lost): contract decides at the top level, the baseline below."""
    if len(path) == 1 and isinstance(path[0], str) and contract.known:
        if path[0] in contract.required:
            return ("improvement" if added else "regression"), "major"
        return ("changed", "info") if path[0] in contract.known or not added else ("regression", "minor")
    return ("regression", "minor") if added else ("regression", "major")


def _expected_types(path: Path, contract: _Contract) -> set[str] | None:
    """The types the contract allows at ``path``: the schema's ``type``, else the gold value's type."""
    sub: Any = contract.schema
    for part in path:
        properties = sub.get("properties") if isinstance(sub, dict) else None
        sub = (properties if isinstance(properties, dict) else {}).get(part) if isinstance(part, str) else (
            sub.get("items") if isinstance(sub, dict) else None)
    declared = sub.get("type") if isinstance(sub, dict) else None
    if isinstance(declared, (str, list)):
        return {declared} if isinstance(declared, str) else {str(t) for t in declared}
    gold: Any = contract.gold
    for part in path:
        if isinstance(part, str) and isinstance(gold, dict) and part in gold:
            gold = gold[part]
        elif isinstance(part, int) and isinstance(gold, list) and gold:
            gold = gold[0]
        else:
            return None
    return None if gold is None else {json_type(gold)}


def _fits(value: Any, allowed: set[str]) -> bool:
    integral = is_number(value) and float(value).is_integer()
    return json_type(value) in allowed or ("integer" in allowed and integral)


def _judge_type(path: Path, base: Any, other: Any, contract: _Contract) -> tuple[Status, Severity]:
    allowed = _expected_types(path, contract)
    if allowed:
        base_fits, other_fits = _fits(base, allowed), _fits(other, allowed)
        if base_fits != other_fits:
            return ("regression" if base_fits else "improvement"), "major"
        return "changed", "info"
    return "regression", "minor" if base is None or other is None else "major"


def _type_note(base: Any, other: Any) -> str | None:
    for number, text in ((base, other), (other, base)):
        if is_number(number) and isinstance(text, str):
            spelled = spelled_number(text)
            if spelled is not None:
                return f"{text!r} spells {spelled}" + (", the same number" if spelled == number else "")
            if _NUMERIC.fullmatch(text.strip()):
                return f"{text!r} is a number written as a string"
    return None


def _describe_type(entry: dict[str, str]) -> str:
    note = f" ({entry['note']})" if "note" in entry else ""
    return f"{entry['path']}: {entry['baseline']} → {entry['candidate']}{note}"


def _wrapper_key(outer: Any, inner: Any) -> str | None:
    """The key of ``{"key": inner}`` when ``outer`` wraps ``inner`` (the same value, or most of its keys)."""
    if not (isinstance(outer, dict) and len(outer) == 1) or (isinstance(inner, dict) and next(iter(outer)) in inner):
        return None
    key, value = next(iter(outer.items()))
    if isinstance(value, (dict, list)) and same_value(value, inner):
        return str(key)
    shared = len(value.keys() & inner.keys()) if isinstance(value, dict) and isinstance(inner, dict) else 0
    return str(key) if shared and 2 * shared >= len(inner) else None


def _top_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return sorted(value)
    return sorted({k for item in value if isinstance(item, dict) for k in item}) if isinstance(value, list) else []


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _CLIP else flat[: _CLIP - 1] + "…"


def _both(base: bool, other: bool, severity: Severity) -> tuple[Status, Severity]:
    """Regression when the baseline had the good property and the other side lost it; improvement reverse."""
    if base == other:
        return "same", "info"
    return ("regression" if base else "improvement"), severity


def _schema_errors(validator: Any, reading: JsonReading) -> list[str]:
    if not reading.found:
        return ["no JSON value recovered"]
    errors = sorted(validator.iter_errors(reading.value), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return ["$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path) + f": {e.message}"
            for e in errors]


def _validator(schema: dict[str, Any]) -> tuple[Any, str | None]:
    """A validator of ``schema`` and, when the schema itself is invalid, why; built once per distinct schema."""
    try:
        key = json.dumps(schema)
    except (TypeError, ValueError):
        return _build_validator(schema)
    return _cached_validator(key)


@functools.lru_cache(maxsize=64)  # checking a schema costs more than validating an answer against it
def _cached_validator(schema_json: str) -> tuple[Any, str | None]:
    return _build_validator(json.loads(schema_json))


def _build_validator(schema: dict[str, Any]) -> tuple[Any, str | None]:
    cls = validator_for(schema, default=Draft202012Validator)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER, registry=Registry())  # no remote $ref fetching
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        return validator, str(getattr(exc, "message", str(exc)))
    return validator, None


class StructureComparator(Comparator):
    """Does the other side keep the JSON contract: parseable, unfenced, bare, conforming, same keys and types."""

    name = "structure"

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok):
            return []
        base = read_json(baseline.text)
        if not json_expected(request, base, baseline.text):
            return []
        oth, contract = read_json(other.text), _contract(request.expect)
        findings = [self._valid(base, oth), self._fenced(base, oth, bare_asked=_bare_asked(request))]
        if base.found and oth.found:
            findings.append(self._prose(base, oth))
        findings.append(self._recoverable(base, oth, contract.gold))
        if contract.schema is not None:
            findings.append(self._schema(contract.schema, base, oth))
        if base.found and oth.found:
            findings += self._shape(base.value, oth.value, contract)
        return findings

    def _finding(self, check: str, judged: tuple[Status, Severity], values: tuple[Any, Any], reason: str,
                 **extra: Any) -> Finding:
        return Finding(check=check, version=self.version, status=judged[0], severity=judged[1], baseline=values[0],
                       candidate=values[1], reason=reason, **extra)

    def _form(self, check: str, judged: tuple[Status, Severity], values: tuple[Any, Any], reason: str,
              sides: tuple[JsonReading, JsonReading], **extra: Any) -> Finding:
        return self._finding(check, judged, values, reason, behaviour=sides[1].form, baseline_behaviour=sides[0].form,
                             **extra)

    def _valid(self, base: JsonReading, oth: JsonReading) -> Finding:
        judged = _both(base.valid, oth.valid, "major")
        reason = {"same": "both parse as JSON" if oth.valid else "neither parses as JSON as a whole",
                  "regression": f"the baseline parses as JSON, this answer does not ({oth.form})",
                  "improvement": f"this answer parses as JSON, the baseline did not ({base.form})"}[judged[0]]
        return self._form("json.valid", judged, (base.valid, oth.valid), reason, (base, oth))

    def _fenced(self, base: JsonReading, oth: JsonReading, *, bare_asked: bool) -> Finding:
        judged: tuple[Status, Severity] = ("same", "info")
        reason = "both put their JSON in a markdown fence" if oth.fenced else "neither fences its JSON"
        if oth.fenced and not base.fenced:
            judged, reason = ("regression", "minor"), "the JSON is inside a markdown fence, the baseline's was not"
        elif base.fenced and not oth.fenced and bare_asked:
            judged, reason = ("improvement", "minor"), "no markdown fence, as the request asks; the baseline fenced"
        elif base.fenced and not oth.fenced:
            judged, reason = ("changed", "info"), "drops the markdown fence the baseline used (no contract asks)"
        return self._form("json.fenced", judged, (base.fenced, oth.fenced), reason, (base, oth))

    def _prose(self, base: JsonReading, oth: JsonReading) -> Finding:
        values = (_clip(base.prose), _clip(oth.prose))
        judged = _both(not base.prose, not oth.prose, "minor")
        reason = {"same": "prose around the JSON on both sides" if oth.prose else "no prose around the JSON",
                  "regression": f"prose around the JSON: {values[1]!r}",
                  "improvement": f"no prose around the JSON, the baseline had {values[0]!r}"}[judged[0]]
        return self._form("json.prose", judged, values, reason, (base, oth))

    def _recoverable(self, base: JsonReading, oth: JsonReading, gold: dict[str, Any] | None) -> Finding:
        judged = _both(base.found, oth.found, "major")
        equal = base.found and oth.found and same_value(base.value, oth.value)
        gold_match = matches_gold(oth.value, gold) if gold and oth.found else None
        what = ("the same value as the baseline" if equal else "a value matching the gold fields" if gold_match
                else "a value different from the baseline's")
        reason = {"same": (f"{PARSER} recovers {what}" if not oth.valid else f"the answer parses to {what}")
                  if oth.found else "neither side has recoverable JSON",
                  "regression": f"not even {PARSER} recovers JSON from this answer ({oth.form})",
                  "improvement": f"JSON recovered from this answer ({oth.form}), none from the baseline's"}[judged[0]]
        return self._form("json.recoverable", judged, (base.found, oth.found), reason, (base, oth),
                          details={"equal": equal, "gold": gold_match, "how": oth.how})

    def _schema(self, schema: dict[str, Any], base: JsonReading, oth: JsonReading) -> Finding:
        validator, problem = _validator(schema)
        try:
            if problem is not None:
                raise SchemaError(problem)
            base_errors, other_errors = _schema_errors(validator, base), _schema_errors(validator, oth)
        except (SchemaError, Unresolvable) as exc:
            problem = getattr(exc, "message", str(exc))
            return self._finding("json.schema", ("changed", "info"), (None, None),
                                 f"expect.schema cannot be used, conformance not judged: {problem}",
                                 details={"schema_error": problem})
        judged = _both(not base_errors, not other_errors, "major")
        first = (base_errors or other_errors or [""])[0]
        reason = {"same": "neither conforms to expect.schema" if other_errors else "both conform to expect.schema",
                  "regression": f"does not conform to expect.schema: {first}",
                  "improvement": f"conforms to expect.schema, the baseline did not: {first}"}[judged[0]]
        return self._finding("json.schema", judged, (base_errors[:3], other_errors[:3]), reason,
                             details={"baseline_errors": len(base_errors), "candidate_errors": len(other_errors)})

    def _shape(self, base: Any, other: Any, contract: _Contract) -> list[Finding]:
        other_wrap = _wrapper_key(other, base)
        base_wrap = None if other_wrap is not None else _wrapper_key(base, other)
        findings = [self._wrapped(base_wrap, other_wrap, contract)]
        base = base[base_wrap] if base_wrap is not None else base
        other = other[other_wrap] if other_wrap is not None else other
        diff = _Diff()
        _walk(base, other, (), diff)
        if diff.objects:
            findings.append(self._keys(diff, base, other, contract))
        findings.append(self._types(diff, contract))
        return findings

    def _wrapped(self, base_wrap: str | None, other_wrap: str | None, contract: _Contract) -> Finding:
        judged: tuple[Status, Severity] = ("same", "info")
        reason = "no wrapper object added or dropped"
        if other_wrap is not None:
            judged = ("improvement" if other_wrap in contract.known else "regression", "minor")
            reason = f"wraps the baseline's JSON in an extra object under {other_wrap!r}"
        elif base_wrap is not None:
            judged = ("improvement" if contract.known and base_wrap not in contract.known else "regression", "minor")
            reason = f"drops the {base_wrap!r} wrapper object the baseline put around its JSON"
        return self._finding("json.wrapped", judged, (base_wrap, other_wrap), reason)

    def _keys(self, diff: _Diff, base: Any, other: Any, contract: _Contract) -> Finding:
        judged = [_judge_key(path, True, contract) for path in diff.added]
        judged += [_judge_key(path, False, contract) for path in diff.missing]
        for old, new in diff.renamed:
            judged += [_judge_key(old, False, contract), _judge_key(new, True, contract)]
        added, missing = _unique(diff.added), _unique(diff.missing)
        renamed = [list(pair) for pair in dict.fromkeys((_render(old), _render(new)) for old, new in diff.renamed)]
        parts = [f"renamed {', '.join(f'{old} → {new}' for old, new in renamed)}"] if renamed else []
        parts += [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"added {', '.join(added)}"] if added else []
        details: dict[str, Any] = {"added": added, "missing": missing, "renamed": renamed}
        if contract.known:
            details["missing_required"] = sorted(contract.required - set(other)) if isinstance(other, dict) else []
        return self._finding("json.keys", _worst(judged), (_top_keys(base), _top_keys(other)),
                             "; ".join(parts) or "the same keys as the baseline", details=details)

    def _types(self, diff: _Diff, contract: _Contract) -> Finding:
        entries: dict[tuple[str, str, str], dict[str, str]] = {}
        judged = []
        for path, base, other in diff.types:
            judged.append(_judge_type(path, base, other, contract))
            entry = {"path": _render(path), "baseline": json_type(base), "candidate": json_type(other)}
            note = _type_note(base, other)
            entries.setdefault((entry["path"], entry["baseline"], entry["candidate"]),
                               entry | ({"note": note} if note else {}))
        paths = list(entries.values())
        reason = "; ".join(map(_describe_type, paths[:3])) or "no value changed type"
        return self._finding("json.types", _worst(judged), ({e["path"]: e["baseline"] for e in paths},
                                                             {e["path"]: e["candidate"] for e in paths}),
                             reason, details={"paths": paths})
