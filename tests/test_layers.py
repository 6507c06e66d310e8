"""The layers of the package, read from the source's imports: compare never imports report (the report is
built from what compare returns), and no library module imports the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import modelswap

PACKAGE = Path(modelswap.__file__).parent
COMMAND_LINE = frozenset({"modelswap.cli", "modelswap.cli_compare", "modelswap.cli_prompts", "modelswap.cli_rollout",
                          "modelswap.cli_prompts_try",
                          "modelswap.cli_watch",
                          "modelswap.cli_rollout_control", "modelswap.cli_rollout_drift", "modelswap.demo",
                          "modelswap.__main__"})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every module of the package and the modelswap modules it imports (at any depth of its code)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module_name(path)] = {name for name in names if name.startswith("modelswap")}
    return found


def test_compare_never_imports_report() -> None:
    offending = {module: sorted(n for n in names if n.startswith("modelswap.report"))
                 for module, names in imports().items() if module.startswith("modelswap.compare")}
    assert {module: names for module, names in offending.items() if names} == {}


def test_no_library_module_imports_the_command_line() -> None:
    offending = {module: sorted(names & COMMAND_LINE) for module, names in imports().items()
                 if module not in COMMAND_LINE}
    assert {module: names for module, names in offending.items() if names} == {}


def test_the_reader_sees_every_module() -> None:
    found = imports()
    assert {"modelswap.compare.pipeline", "modelswap.report.model", "modelswap.cli"} <= set(found)
    assert "modelswap.compare.comparison" in found["modelswap.compare.pipeline"]
