"""The stand-ins are packages of their own: neither the payables sandbox nor the Slack playground
imports the product, the test kit or the tests, anywhere in its source (inside functions and
`TYPE_CHECKING` blocks included). A fake that shared the product's code could not catch the
product's mistakes in it.

Read from the source with `ast`; nothing is imported here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STANDINS = ("payables_sandbox", "slack_playground")
FORBIDDEN = ("billpay", "testkit", "tests")


def imported_names(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, a module of `package`,
    wherever it stands, and of every `importlib.import_module("...")` or `__import__("...")`
    of a literal name; in the order of the lines."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                name = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return sorted(found)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def package_of(path: Path) -> str:
    """The package a source file's relative imports start from."""
    return ".".join(path.relative_to(ROOT).parent.parts)


@pytest.mark.parametrize("standin", STANDINS)
def test_a_stand_in_imports_nothing_of_the_product_or_the_tests(standin: str) -> None:
    paths = sorted((ROOT / standin).rglob("*.py"))
    assert paths, f"no source found for {standin}"
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in paths
        for line, name in imported_names(path.read_text(encoding="utf-8"), package_of(path))
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offending == []


def test_the_reader_sees_imports_in_functions_relative_and_dynamic_ones() -> None:
    source = (
        "from . import blockkit\n"
        "def later():\n"
        "    from billpay.core import money\n"
        "    import importlib\n"
        "    importlib.import_module('testkit.world')\n"
        "    from ..tests import conftest\n"
    )
    names = [name for _, name in imported_names(source, "slack_playground.webapi")]
    assert names == [
        "slack_playground.webapi",
        "billpay.core",
        "importlib",
        "testkit.world",
        "slack_playground.tests",
    ]
