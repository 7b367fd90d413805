"""The layers keep to their lanes, read from the source's imports (nothing is imported here).

`blocks/` renders plain values: it never reaches the ORM, directly or through a core module.
The core (`bot/`) never imports the Slack layers, except the two modules that wire them up.
The settings load without the sandbox's web app. The benchmarks and the test kit never import the
tests.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("billpay",)
# The wiring: these build Slack surfaces from the core, so they may import the Slack layers:
# the app (listeners in), the publisher and the scheduler (messages out, rendered with
# blocks/) and previews.
WIRING = {"billpay.slack", "billpay.runtime", "billpay.services"}
SLACK_LAYERS = ("billpay.slack.blocks", "billpay.slack.handlers")


def source_of(module: str) -> Path | None:
    """The file of a module of this project, or None for a library or a name in a module."""
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_in(package: str) -> list[str]:
    return sorted(module_name(p) for p in (ROOT / package).rglob("*.py"))


def imports_of(module: str) -> set[str]:
    """Every module `module` imports anywhere in its source, absolute names."""
    path = source_of(module)
    assert path is not None, module
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            # `from bot import cases` imports the module bot.cases
            found.update(
                f"{base}.{alias.name}" for alias in node.names if source_of(f"{base}.{alias.name}")
            )
    return found


def with_parents(module: str) -> list[str]:
    """Importing a.b.c runs a, a.b and a.b.c."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def reachable(start: str) -> dict[str, str | None]:
    """Every module imported from `start`, transitively through this project's modules, each
    with the module that imported it."""
    seen: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if source_of(current) is None:
            continue  # a library: not followed
        for imported in sorted(imports_of(current)):
            for name in with_parents(imported):
                if name not in seen:
                    seen[name] = current
                    queue.append(name)
    return seen


def chain(seen: dict[str, str | None], module: str) -> str:
    links = [module]
    while (parent := seen[links[-1]]) is not None:
        links.append(parent)
    return " <- ".join(links)


def offending(start: str, forbidden: tuple[str, ...]) -> list[str]:
    seen = reachable(start)
    return [
        chain(seen, name)
        for name in seen
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_the_resolver_sees_real_imports() -> None:
    """Guards the tests below against passing because nothing was found."""
    seen = reachable("billpay.bills.cases")
    assert "sqlalchemy" in seen and "billpay.store.models" in seen
    assert "billpay.slack.blocks.text" in reachable("billpay.slack.blocks.bills")


@pytest.mark.parametrize("module", modules_in("billpay/slack/blocks"))
def test_blocks_never_reach_the_orm(module: str) -> None:
    assert offending(module, ("sqlalchemy", "billpay.store")) == []


def test_the_domain_is_free_of_storage_and_io() -> None:
    assert (
        offending("billpay.core.domain", ("sqlalchemy", "billpay.store", "httpx", "aiohttp")) == []
    )


@pytest.mark.parametrize(
    "module",
    [m for m in modules_in("billpay") if not any(m == w or m.startswith(w + ".") for w in WIRING)],
)
def test_the_core_does_not_import_the_slack_layers(module: str) -> None:
    slack_layers = [
        name
        for name in imports_of(module)
        if any(name == s or name.startswith(s + ".") for s in SLACK_LAYERS)
    ]
    assert slack_layers == []


@pytest.mark.parametrize("module", ["billpay.slack.publisher", "billpay.runtime.scheduler"])
def test_what_sends_on_its_own_renders_but_never_reaches_the_listeners(module: str) -> None:
    assert offending(module, ("billpay.slack.handlers",)) == []


def test_settings_load_without_the_sandbox_web_app() -> None:
    assert offending("billpay.config", ("fastapi", "starlette", "payables_sandbox.app")) == []


@pytest.mark.parametrize("module", modules_in("bench") + modules_in("testkit"))
def test_the_benchmarks_and_the_test_kit_never_import_the_tests(module: str) -> None:
    """`bench/` and `testkit/` build on the packages and the test kit only."""
    assert offending(module, ("tests",)) == []
