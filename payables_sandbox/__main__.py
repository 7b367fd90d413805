"""Serve the sandbox on a port, with Codat's webhooks sent to a URL: `python -m payables_sandbox
--port 8900 --webhook-url http://127.0.0.1:3000/codat/webhooks`. The sandbox's other knobs are
`billpay sandbox`'s; this runner takes the ones webhooks and Codat's limits need."""

from __future__ import annotations

import argparse

import uvicorn

from payables_sandbox.app import create_sandbox_app
from payables_sandbox.config import SandboxConfig
from payables_sandbox.defaults import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET


def _limit(text: str) -> int | None:
    return None if text == "off" else int(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m payables_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--database-url", default="sqlite+aiosqlite:///:memory:")
    parser.add_argument("--webhook-url", help="where to send Codat's webhooks (none if unset)")
    parser.add_argument(
        "--webhook-secret", default=DEFAULT_WEBHOOK_SECRET, help="the endpoint's whsec_ secret"
    )
    parser.add_argument(
        "--daily-quota", type=_limit, default=1000, help="per unit (x (1 + ACCs)); 'off'"
    )
    parser.add_argument("--concurrent-per-company", type=_limit, default=10, help="or 'off'")
    args = parser.parse_args(argv)
    config = SandboxConfig(
        api_key=args.api_key,
        database_url=args.database_url,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        daily_quota=args.daily_quota,
        concurrent_per_company=args.concurrent_per_company,
    )
    print(f"Payables sandbox on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(create_sandbox_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
