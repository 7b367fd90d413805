"""`billpay sandbox`: serve the payables sandbox over HTTP, with its options for paging,
faults, quotas and webhooks."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from billpay.runtime.cli.arguments import iso_date
from billpay.runtime.cli.console import console

if TYPE_CHECKING:
    from billpay.runtime.cli.arguments import Commands


def add_to(commands: Commands) -> None:
    """`billpay sandbox` and its options."""
    from billpay.config import SANDBOX_API_KEY

    sandbox = commands.add_parser("sandbox", help="serve the payables sandbox over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8900)
    sandbox.add_argument(
        "--api-key",
        default=None,
        help=f"the API key it accepts (default: BILLPAY_SANDBOX_API_KEY or '{SANDBOX_API_KEY}')",
    )
    sandbox.add_argument(
        "--database-url",
        default=None,
        help="where it keeps its records (default: BILLPAY_SANDBOX_DATABASE_URL)",
    )
    sandbox.add_argument("--reset", action="store_true", help="drop all data and re-seed")
    sandbox.add_argument("--today", type=iso_date, help="the demo data's today (YYYY-MM-DD)")
    sandbox.add_argument("--page-size", type=int, default=100, help="records per page")
    sandbox.add_argument("--rate-limit", type=int, help="answer 429 past N requests per window")
    sandbox.add_argument("--rate-window", type=float, default=1.0, help="window in seconds")
    sandbox.add_argument("--error-rate", type=float, default=0.0, help="share of 503s (0 to 1)")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    strictness = sandbox.add_mutually_exclusive_group()
    strictness.add_argument(
        "--strict",
        dest="lenient",
        action="store_false",
        default=False,
        help="list bills and list suppliers take only the spec's query fields (the default)",
    )
    strictness.add_argument(
        "--lenient",
        action="store_true",
        help="any field in queries, for experiments with the query language",
    )
    sandbox.add_argument(
        "--paging", choices=["offset", "keyset"], default="offset", help="continuation tokens"
    )
    sandbox.add_argument("--public-url", help="the base of linkUrl, if not the address served")
    sandbox.add_argument(
        "--webhook-url",
        help="send Codat's webhooks there, e.g. http://127.0.0.1:3000/webhooks/codat",
    )
    sandbox.add_argument(
        "--webhook-secret",
        help="the whsec_ secret that signs them (default: CODAT_WEBHOOK_SECRET)",
    )
    sandbox.add_argument(
        "--daily-quota",
        type=_limit,
        default=1000,
        help="calls a day per active company, plus one company's worth, as Codat ("
        "1000 x (1 + companies)); 'off' for none",
    )
    sandbox.add_argument(
        "--concurrent-per-company",
        type=_limit,
        default=10,
        help="requests in progress at once per company, as Codat (10); 'off' for none",
    )
    sandbox.set_defaults(handler=_sandbox)


def _limit(text: str) -> int | None:
    """A positive whole number, or "off"."""
    if text.strip().lower() == "off":
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("a whole number of 1 or more, or 'off'")
    return value


def _sandbox(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from billpay.config import load_settings
    from billpay.runtime.embedded import sandbox_app

    settings = load_settings()
    try:
        app = sandbox_app(
            settings,
            api_key=args.api_key or settings.sandbox_api_key.get_secret_value(),
            database_url=args.database_url,
            reset=args.reset,
            today=args.today,
            page_size=args.page_size,
            strict=not args.lenient,
            paging=args.paging,
            public_url=args.public_url,
            rate_limit=args.rate_limit,
            rate_window=args.rate_window,
            error_rate=args.error_rate,
            latency_ms=args.latency_ms,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret
            or (
                settings.codat_webhook_secret.get_secret_value()
                if args.webhook_url and settings.codat_webhook_secret
                else None
            ),
            daily_quota=args.daily_quota,
            concurrent_per_company=args.concurrent_per_company,
        )
    except (ValidationError, ValueError) as exc:
        console.print(f"[red]billpay sandbox: {_options_problem(exc)}[/red]", highlight=False)
        return 2
    console.print(
        f"Payables sandbox on http://{args.host}:{args.port} "
        f"(Basic auth with the API key {'you gave' if args.api_key else 'from the settings'})"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


_OPTIONS = {
    "page_size": "--page-size",
    "rate_limit_requests": "--rate-limit",
    "rate_limit_window_seconds": "--rate-window",
    "error_rate": "--error-rate",
    "latency_ms": "--latency-ms",
    "api_key": "--api-key",
}


def _options_problem(exc: Exception) -> str:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return f"--database-url: {exc}"
    problems = []
    for err in exc.errors(include_url=False):
        option = _OPTIONS.get(str(err["loc"][-1]), str(err["loc"][-1]))
        problems.append(f"{option}: {err['msg']}")
    return "; ".join(problems)
