"""The shape of the code, read from the source's imports (nothing is imported here).

- No module imports one that imports it back, directly or through others: the whole graph of
  the product, the stand-ins and the test kit has no cycle.
- The product's areas depend one way: the domain core at the bottom, then the store and the
  payables client, then bills, then the areas built on bills, then the composition of services,
  the Slack edge and, at the top, the runtime (`LAYERS` says what each may import).
- The stand-ins (`payables_sandbox`, `slack_playground`) import nothing of the product, and the
  product reaches them through one door, `billpay.runtime.embedded`, which starts them for
  `make run`.
- Block Kit builders render plain values: they never reach the ORM, directly or through an area.
- The domain core does no I/O. The test kit and the benchmarks never import the tests.
"""

from __future__ import annotations

import ast
from collections import deque
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = "billpay"
STAND_INS = ("payables_sandbox", "slack_playground")
FIRST_PARTY = (PRODUCT, *STAND_INS, "testkit")
EMBEDDED_DOOR = "billpay.runtime.embedded"

CORE = {"billpay.core"}
BASE = CORE | {"billpay.config", "billpay.store", "billpay.payables", "billpay.mirror"}
BILLS = BASE | {"billpay.bills"}
AREAS = BILLS | {
    "billpay.approvals",
    "billpay.payments",
    "billpay.invoices",
    "billpay.suppliers",
    "billpay.digest",
    "billpay.webhooks",
}
# What each part of the product may import besides itself (and libraries).
LAYERS: dict[str, set[str]] = {
    "billpay.core": set(),
    "billpay.config": CORE,
    "billpay.store": CORE | {"billpay.config"},
    "billpay.payables": CORE | {"billpay.config"},
    "billpay.mirror": CORE | {"billpay.config", "billpay.store", "billpay.payables"},
    "billpay.bills": BASE,
    "billpay.approvals": BILLS,
    "billpay.payments": BILLS,
    "billpay.invoices": BILLS,
    "billpay.digest": BILLS,
    "billpay.webhooks": BASE,
    "billpay.suppliers": BILLS | {"billpay.invoices", "billpay.payments"},
    # The composition root builds the publisher and whether the app is in a workspace: the
    # installations (many workspaces), or the uninstalls noted (one).
    "billpay.services": AREAS
    | {"billpay.slack.publisher", "billpay.slack.installations", "billpay.slack.departures"},
    "billpay.slack": AREAS | {"billpay.services"},
    "billpay.runtime": AREAS | {"billpay.services", "billpay.slack"},
}


def source_of(module: str) -> Path | None:
    """The file of a first-party module, or None for a library or a name in a module."""
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


def modules_in(*packages: str) -> list[str]:
    return sorted(
        module_name(p)
        for package in packages
        for p in ROOT.joinpath(*package.split(".")).rglob("*.py")
        if "migrations" not in p.parts
    )


@cache
def imports_of(module: str) -> frozenset[str]:
    """Every module `module` imports anywhere in its source (inside functions and
    `TYPE_CHECKING` blocks too, and `importlib.import_module("...")` or `__import__("...")` of a
    literal name), as absolute names: a module named in `from a import b` when `a.b` is one,
    else `a`."""
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
            named = {f"{base}.{alias.name}" for alias in node.names}
            submodules = {name for name in named if source_of(name)}
            found.update(submodules)
            if submodules != named:
                found.add(base)
        elif isinstance(node, ast.Call) and dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    found.discard(module)
    return frozenset(found)


def dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("import_module", "__import__")


def reachable(start: str) -> dict[str, str | None]:
    """Every module imported from `start`, transitively through first-party modules (their
    packages' `__init__` included, as Python runs them), each with the module that imported
    it."""
    seen: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if source_of(current) is None:
            continue  # a library: not followed
        for imported in sorted(imports_of(current)):
            parts = imported.split(".")
            for name in (".".join(parts[: i + 1]) for i in range(len(parts))):
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
    return [chain(seen, name) for name in seen if within(name, forbidden)]


def within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_of(module: str) -> str:
    """The most specific part of `LAYERS` the module belongs to."""
    return max((part for part in LAYERS if within(module, {part})), key=len)


def cycles(modules: list[str]) -> list[list[str]]:
    """The import graph's strongly connected components of more than one module (Tarjan)."""
    graph = {m: sorted(i for i in imports_of(m) if i in modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_the_resolver_sees_real_imports() -> None:
    """Guards the tests below against passing because nothing was found."""
    seen = reachable("billpay.bills.cases")
    assert "sqlalchemy" in seen and "billpay.store.models" in seen
    assert "billpay.slack.blocks.text" in reachable("billpay.slack.blocks.bills.card")
    sneaky = ast.parse("import importlib\nimportlib.import_module('billpay.config')")
    call = sneaky.body[1].value  # type: ignore[attr-defined]
    assert dynamic_import(call.func)


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"p.a": frozenset({"p.b"}), "p.b": frozenset({"p.c"}), "p.c": frozenset({"p.a"})}
    monkeypatch.setitem(globals(), "imports_of", lambda module: fake[module])
    assert cycles(["p.a", "p.b", "p.c"]) == [["p.a", "p.b", "p.c"]]


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(modules_in(*FIRST_PARTY)) == []


@pytest.mark.parametrize("module", modules_in(PRODUCT))
def test_the_areas_depend_one_way(module: str) -> None:
    layer = layer_of(module) if module != PRODUCT else PRODUCT
    allowed = LAYERS.get(layer, set()) | {layer}
    wrong = sorted(
        name
        for name in imports_of(module)
        if within(name, {PRODUCT}) and name != PRODUCT and not within(name, allowed)
    )
    assert wrong == [], f"{module} ({layer}) may import only {sorted(allowed)}"


@pytest.mark.parametrize("package", STAND_INS)
def test_the_stand_ins_import_nothing_of_the_product(package: str) -> None:
    wrong = {
        f"{module} imports {name}"
        for module in modules_in(package)
        for name in imports_of(module)
        if within(name, {PRODUCT, "testkit", "tests"})
    }
    assert wrong == set()


def test_the_product_reaches_the_stand_ins_through_one_door() -> None:
    doors = {
        module
        for module in modules_in(PRODUCT)
        if any(within(name, STAND_INS) for name in imports_of(module))
    }
    assert doors == {EMBEDDED_DOOR}


@pytest.mark.parametrize("module", modules_in("billpay.slack.blocks"))
def test_blocks_never_reach_the_orm(module: str) -> None:
    assert offending(module, ("sqlalchemy", "billpay.store")) == []


@pytest.mark.parametrize("module", modules_in("billpay.core"))
def test_the_core_does_no_io(module: str) -> None:
    io = ("sqlalchemy", "httpx", "aiohttp", "slack_sdk", "slack_bolt", "billpay.store")
    assert offending(module, io) == []


@pytest.mark.parametrize("module", modules_in("billpay.slack"))
def test_the_slack_edge_never_reaches_the_runtime(module: str) -> None:
    assert offending(module, ("billpay.runtime",)) == []


@pytest.mark.parametrize("package", ["testkit", "bench"])
def test_the_kit_and_the_benchmarks_never_import_the_tests(package: str) -> None:
    wrong = {
        f"{module} imports {name}"
        for module in modules_in(package)
        for name in imports_of(module)
        if within(name, {"tests"})
    }
    assert wrong == set()


def test_settings_load_without_any_web_app() -> None:
    assert offending("billpay.config", ("fastapi", "starlette", *STAND_INS)) == []


@pytest.mark.parametrize(
    "module",
    ["billpay.slack.publisher", "billpay.runtime.scheduler", *modules_in("billpay.slack.notices")],
)
def test_what_sends_on_its_own_renders_but_never_reaches_the_listeners(module: str) -> None:
    assert offending(module, ("billpay.slack.handlers",)) == []


# Bolt's documented modules: the app, its error types, its OAuth settings and callbacks, its
# authorize for installations, its adapters. Anything else in slack_bolt (kwargs injection,
# utils, log messages...) may change in any release.
BOLT_DOCUMENTED = {
    "slack_bolt",
    "slack_bolt.async_app",
    "slack_bolt.error",
    "slack_bolt.oauth.async_oauth_settings",
    "slack_bolt.oauth.async_callback_options",
    # Its installation-store authorize, given to the app to turn on `cache_enabled` (Bolt's
    # option for apps that would otherwise ask `auth.test` before every ack).
    "slack_bolt.authorization.async_authorize",
}
BOLT_ADAPTERS = "slack_bolt.adapter."


@pytest.mark.parametrize("module", modules_in(PRODUCT))
def test_bolt_is_used_through_its_documented_modules(module: str) -> None:
    internal = [
        name
        for name in imports_of(module)
        if name.split(".")[0] == "slack_bolt"
        and name not in BOLT_DOCUMENTED
        and not name.startswith(BOLT_ADAPTERS)
    ]
    assert internal == []
