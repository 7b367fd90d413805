"""The payables sandbox: an embedded stand-in for Codat's Sync for Payables API (FastAPI on its own
SQLAlchemy database). It imports nothing of the product, so it cannot share the product's mistakes.

- `app`: `Sandbox`, `SandboxConfig` (from `config`) and `create_sandbox_app`, the application;
- `api/`: the HTTP surface, one router per resource under `api/routes/`, with their typed
  dependencies (`api/deps.py`), the gateway's faults and the error answers;
- `service/`: the business rules, one module per resource, each operation in one transaction;
- `store` (the tables), `database` (engine, sessions, exact column types), `views` (rows as the
  API writes them), `schemas` (request bodies as the API validates them), `errors`;
- `money` (currencies' minor units and rounding) and `exact_json` (JSON with exact decimals),
  the sandbox's own, apart from any client's;
- `query` (Codat's query language), `platforms` (each platform's limits), `idempotency`
  (`Idempotency-Key`), `faults` (injected faults), `seed` (the demo company), `defaults`.

RULES.md lists each Codat rule the sandbox enforces, where, and the test that proves it.
"""
