"""The ``prompts`` commands: push prompt files to the store, list them, show one, move a label.

What it is: ``modelswap prompts push FILE...`` (validate each file, store it as an immutable version,
print its hash), ``list`` (each prompt's versions and labels), ``show NAME [--label L | --version
HASH] [--model M --family F] [--var k=v ...]`` (a version, and the variant a model gets, rendered
when variables are given), ``label NAME LABEL HASH`` (point a label at a version; pointing it back
is the rollback) and ``status NAME MODEL STATUS [--version HASH]`` (where a model's variant of a version
stands: draft, shadow-passed, canary, production), all on the store named by ``-c modelswap.yaml``.
Problems are ``ModelswapError``\\ s (the CLI's entry point prints them as one line, exit 3). What it is
not: the file format (``modelswap.prompts.registry``), the tables (``modelswap.store.prompts``), or the
gateway applying a prompt (``modelswap.gateway.prompting``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, cast

import orjson
import typer
from rich.console import Console

from modelswap import cli_prompts_try
from modelswap.config import load_settings
from modelswap.errors import PromptError
from modelswap.prompts.registry import content_hash, load_prompt, prompt_from_content, render, variant_for
from modelswap.rollout.control import default_actor as _actor
from modelswap.store import Store, open_store
from modelswap.store.prompts import VARIANT_STATUSES, PromptLabel, PromptVersion, VariantStatus, VariantStatusName

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="modelswap.yaml (the store; default: "
                                                   "$MODELSWAP_CONFIG or ./modelswap.yaml).")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who (default: the OS user).")]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The prompt's name.")]


def register(app: typer.Typer, *, out: Console, err: Console) -> None:
    """Add the ``prompts`` command group to ``app``."""
    prompts_app = typer.Typer(no_args_is_help=True, help="Prompts per model: versions, labels, variants.")
    app.add_typer(prompts_app, name="prompts")
    cli_prompts_try.register(prompts_app, out=out, err=err)

    def say(line: str) -> None:
        out.print(line, markup=False, highlight=False, soft_wrap=True)

    @prompts_app.command("push")
    def push_command(files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="prompts/NAME.yaml files.")],
                     config: ConfigOption = None, by: ByOption = None) -> None:
        """Store each file as an immutable version and print its hash (a file already stored is kept as it is)."""
        loaded = [load_prompt(file) for file in files]  # every file is valid before anything is written
        with open_store(load_settings(config).store) as store:
            for prompt in loaded:
                version = PromptVersion(name=prompt.name, hash=content_hash(prompt),
                                        content=prompt.model_dump(mode="json"), created_at=_now(),
                                        created_by=by or _actor())
                stored = store.save_prompt_version(version)
                say(f"{prompt.name} {version.hash} {'stored' if stored else 'already stored'}")

    @prompts_app.command("list")
    def list_command(config: ConfigOption = None) -> None:
        """Each stored prompt: its number of versions, the newest, and its labels."""
        with open_store(load_settings(config).store) as store:
            versions, labels = store.prompt_versions(), store.prompt_labels()
        if not versions:
            say("no prompts stored (modelswap prompts push prompts/*.yaml)")
        for name in sorted({v.name for v in versions}):
            mine = [v for v in versions if v.name == name]
            pointers = " ".join(f"{label.label}={label.hash[:12]}" for label in labels if label.name == name)
            say(f"{name}  {len(mine)} version{'s' if len(mine) != 1 else ''}  newest {mine[-1].hash[:12]}"
                + (f"  {pointers}" if pointers else ""))

    @prompts_app.command("show")
    def show_command(
        name: NameArgument, config: ConfigOption = None,
        label: Annotated[str | None, typer.Option("--label", help="The version this label points at.")] = None,
        version: Annotated[str | None, typer.Option("--version", help="A version's hash (or a unique prefix).")]
            = None,
        model: Annotated[str | None, typer.Option("--model", help="Show the variant this model gets.")] = None,
        family: Annotated[str | None, typer.Option("--family", help="The model's family (family:NAME variants).")]
            = None,
        variables: Annotated[list[str] | None, typer.Option("--var", help="k=v: render the variant with it.")]
            = None,
    ) -> None:
        """A version (default: the newest pushed) and, with --model, the variant that model gets."""
        if label is not None and version is not None:
            raise PromptError("give --label or --version, not both")
        with open_store(load_settings(config).store) as store:
            found = _find(store, name, label=label, version=version)
        prompt = prompt_from_content(found.content, path=f"store:{name}@{found.hash[:12]}")
        say(f"{name} {found.hash} (pushed by {found.created_by})")
        say(f"purpose: {prompt.purpose}")
        say(f"variants: {', '.join(sorted(prompt.variants))}")
        if model is None:
            return
        key, variant = variant_for(prompt, model, family)
        say(f"variant for {model}: {key}")
        say(f"params: {orjson.dumps(prompt.params_for(variant), option=orjson.OPT_SORT_KEYS).decode()}")
        values = _variables(variables or [])
        messages = (render(variant, values, declared=prompt.variables) if values
                    else [{"role": m.role, "content": m.content} for m in variant.messages])
        for message in messages:
            say(f"[{message['role']}]")
            say(message["content"])

    @prompts_app.command("label")
    def label_command(name: NameArgument,
                      label: Annotated[str, typer.Argument(metavar="LABEL", help="production, staging, any name.")],
                      version: Annotated[str, typer.Argument(metavar="HASH", help="A version's hash (or prefix).")],
                      config: ConfigOption = None, by: ByOption = None) -> None:
        """Point LABEL at a stored version; pointing it back at an earlier one is the prompt rollback."""
        with open_store(load_settings(config).store) as store:
            target = _find(store, name, version=version)
            before = {lab.label: lab.hash for lab in store.prompt_labels(name)}.get(label)
            store.set_prompt_label(PromptLabel(name=name, label=label, hash=target.hash, updated_at=_now(),
                                               updated_by=by or _actor()))
        was = f" (was {before[:12]})" if before is not None else " (new label)"
        say(f"{name}: {label} -> {target.hash[:12]}{was}")

    @prompts_app.command("status")
    def status_command(
        name: NameArgument,
        model: Annotated[str, typer.Argument(metavar="MODEL", help="A variant key, or a model id (its variant).")],
        status: Annotated[str, typer.Argument(metavar="STATUS", help=" | ".join(VARIANT_STATUSES))],
        version: Annotated[str | None, typer.Option("--version", help="A version's hash or prefix (default: the "
                                                    "newest pushed).")] = None,
        family: Annotated[str | None, typer.Option("--family", help="The model's family (family:NAME variants).")]
            = None,
        config: ConfigOption = None, by: ByOption = None,
    ) -> None:
        """Record where a model's variant of a version stands: draft, shadow-passed, canary, production."""
        if status not in VARIANT_STATUSES:
            raise PromptError(f"unknown status {status!r}; expected one of {', '.join(VARIANT_STATUSES)}")
        with open_store(load_settings(config).store) as store:
            target = _find(store, name, version=version)
            prompt = prompt_from_content(target.content, path=f"store:{name}@{target.hash[:12]}")
            key = model if model in prompt.variants else variant_for(prompt, model, family)[0]
            before = {s.model_key: s.status for s in store.variant_statuses(name) if s.hash == target.hash}.get(key)
            store.set_variant_status(VariantStatus(name=name, hash=target.hash, model_key=key,
                                                   status=cast(VariantStatusName, status), updated_at=_now(),
                                                   updated_by=by or _actor()))
        say(f"{name}@{target.hash[:12]} {key}: {before or 'no status'} -> {status}")


def _find(store: Store, name: str, *, label: str | None = None, version: str | None = None) -> PromptVersion:
    """The version a label points at, the one a hash (prefix) names, or else the newest pushed."""
    if label is not None:
        pointed = {lab.label: lab.hash for lab in store.prompt_labels(name)}
        if label not in pointed:
            raise PromptError(f"prompt {name!r} has no label {label!r} (it has {', '.join(sorted(pointed)) or 'none'})")
        version = pointed[label]
    if version is not None and not re.fullmatch(r"[0-9a-f]{1,64}", version):
        raise PromptError(f"prompt {name!r}: {version!r} is not a hash or a prefix of one (hex digits)")
    found = store.prompt_versions(name, hash_prefix=version or "")
    if not found:
        what = f"no version {version}" if version else "no stored version"
        raise PromptError(f"prompt {name!r} has {what} (modelswap prompts push prompts/{name}.yaml)")
    if version is not None and len(found) > 1:
        raise PromptError(f"prompt {name!r}: {version} names {len(found)} versions; give more of the hash")
    return found[-1]


def _variables(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PromptError(f"--var {pair!r}: expected NAME=VALUE")
        values[key] = value
    return values


def _now() -> float:
    """When a version is pushed or a label moved: the wall clock (a test replaces this function)."""
    return time.time()

