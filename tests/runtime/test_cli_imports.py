"""What starting the command loads: `billpay run` on Codat's API and the bot's own database
never loads the embedded sandbox, the playground, FastAPI (the sandbox's framework), Alembic
(a migrated database is checked with one query) or Svix (loaded with the first webhook).
Each start pays for what it imports; these would add about a second to every one. Nor does it
load a database dialect the engine does not use (the engine loads its own when it connects), or
read Babel's list of currencies (the supplier forms read it when first checked). Importing
the command itself loads none of the big libraries either, so that `main` holds the garbage
collector before they load (`billpay.runtime.collector`: an eighth of a start otherwise).

Read in a new interpreter, as a start is: this process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_FOR_A_START = ("payables_sandbox", "slack_playground", "fastapi", "alembic", "svix")
# Loaded by `main` once the collector is held, not by the import that reaches `main`.
NOT_BEFORE_MAIN = ("pydantic", "pydantic_settings", "sqlalchemy", "babel", "httpx", "slack_bolt")
# What `billpay run` imports to serve Codat's API on a migrated database.
SERVING = (
    "import billpay.runtime.cli, billpay.runtime.host, billpay.runtime.startup, "
    "billpay.store.revision, billpay.webhooks.service"
)


def printed_by(code: str, then: str) -> object:
    """What a new interpreter prints (as JSON) with `then` after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({then}))"
    out = subprocess.run(  # noqa: S603 (this interpreter, code written here)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.splitlines()[-1])


def loaded_by(code: str) -> set[str]:
    """The top-level packages a new interpreter holds after running `code`."""
    packages = printed_by(code, "sorted({m.split('.')[0] for m in sys.modules})")
    assert isinstance(packages, list)
    return set(packages)


def test_importing_the_command_loads_none_of_what_only_some_commands_use() -> None:
    loaded = loaded_by("import billpay.runtime.cli")

    assert loaded.isdisjoint(NOT_FOR_A_START), sorted(loaded & set(NOT_FOR_A_START))
    assert loaded.isdisjoint(NOT_BEFORE_MAIN), sorted(loaded & set(NOT_BEFORE_MAIN))


def test_what_billpay_run_serves_with_loads_none_of_it() -> None:
    # Everything `billpay run` imports to serve Codat's API on a migrated database.
    loaded = loaded_by(SERVING)

    assert loaded.isdisjoint(NOT_FOR_A_START), sorted(loaded & set(NOT_FOR_A_START))
    assert {"billpay", "slack_bolt", "sqlalchemy", "uvicorn"} <= loaded


def test_a_start_loads_no_dialect_and_reads_no_currency_list_before_it_needs_them() -> None:
    dialects = printed_by(SERVING, "sorted(m for m in sys.modules if '.dialects.' in m)")
    currencies = printed_by(
        f"{SERVING}\nfrom billpay.suppliers.rules import currencies",
        "currencies.cache_info().currsize",
    )

    assert dialects == [], dialects
    assert currencies == 0
