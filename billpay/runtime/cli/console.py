"""What the commands share: the console on standard error, the log's set-up, and how a
problem with the bot's database is told."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from billpay.config import Settings


console = Console(stderr=True, soft_wrap=True)


def configure_logging(settings: Settings) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=settings.log_level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    # httpx logs every request at INFO; the client logs what matters (retries, failures).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _BoltTokenFromEnvironment) for f in bolt.filters):
        bolt.addFilter(_BoltTokenFromEnvironment())


class _BoltTokenFromEnvironment(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." warning.

    The app is built with the bot's own Web API client, which carries SLACK_BOT_TOKEN; Bolt also
    reads SLACK_BOT_TOKEN from the environment by itself (an empty `token` falls back to it) and
    then warns that it is unused: the same token, so a false alarm at every start.

    Bolt's log messages are not part of its API, so the words are written here; if Bolt rewords
    them, the warning merely shows again, and the start-up test that expects no warning fails."""

    BOLT_WORDS = "As you gave `client` as well, `token` will be unused."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.BOLT_WORDS


def database_trouble(
    settings: Settings,
    exc: BaseException,
    fix: str = "Check BILLPAY_DATABASE_URL, and that the database server is running and reachable.",
) -> int:
    from sqlalchemy.engine import make_url

    where = make_url(settings.database_url).render_as_string(hide_password=True)
    console.print(
        f"[red]Cannot use the bot's database at {where}: {exc.__class__.__name__}: "
        f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}.[/red]\n{escape(fix)}"
    )
    return 1
