"""`billpay preview`: print the Block Kit JSON of each Slack surface, built from the payables
data, with a link to Block Kit Builder."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from rich.console import Console

from billpay.runtime.cli.check import payables_today
from billpay.runtime.cli.console import configure_logging, console
from billpay.runtime.surfaces import SURFACES

if TYPE_CHECKING:
    from billpay.config import Settings
    from billpay.runtime.cli.arguments import Commands


def add_to(commands: Commands) -> None:
    """`billpay preview`."""
    preview = commands.add_parser(
        "preview", help="print the Block Kit JSON of each Slack surface, from the payables data"
    )
    preview.add_argument(
        "surfaces",
        nargs="*",
        metavar="SURFACE",
        help=f"one or more of: {', '.join(SURFACES)} (default: all)",
    )
    preview.add_argument(
        "--locale", default=None, help="e.g. fr_FR or fr-FR (default: BILLPAY_DEFAULT_LOCALE)"
    )
    preview.set_defaults(handler=_preview)


def _preview(args: argparse.Namespace) -> int:
    from babel import Locale, UnknownLocaleError

    from billpay.config import load_settings

    settings = load_settings()
    configure_logging(settings)
    locale = (args.locale or settings.default_locale).replace("-", "_")  # Slack writes fr-FR
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        console.print(f"[red]'{locale}' is not a locale; use e.g. en_GB, en_US or fr_FR.[/red]")
        return 2
    unknown = [name for name in args.surfaces if name not in SURFACES]
    if unknown:
        console.print(
            f"[red]No surface called {', '.join(unknown)}; choose from {', '.join(SURFACES)}.[/red]"
        )
        return 2
    return asyncio.run(_print_previews(settings, args.surfaces or list(SURFACES), locale))


async def _print_previews(settings: Settings, names: list[str], locale: str) -> int:
    from billpay.payables.errors import PayablesError
    from billpay.runtime.preview import NothingToPreview, builder_link, preview_surfaces
    from billpay.runtime.startup import open_backend

    backend = await open_backend(settings)
    try:
        today = payables_today(settings, backend)
        surfaces = await preview_surfaces(backend.client, settings, today, locale)
    except PayablesError as exc:
        console.print(f"[red]The payables API is not answering as expected: {exc}[/red]")
        return 1
    except NothingToPreview as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    finally:
        await backend.aclose()
    out = Console(soft_wrap=True)
    for name in names:
        payload = surfaces[name]
        console.print(f"[bold]{name}[/bold]: open in Block Kit Builder: {builder_link(payload)}")
        out.print_json(json.dumps(payload, ensure_ascii=False))
    return 0
