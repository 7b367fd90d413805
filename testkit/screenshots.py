"""The README's pictures, taken from the playground: `make screenshots` (or
`python -m testkit.screenshots [OUT_DIR]`).

Starts `billpay run --playground` on fresh databases, opens the page in Chromium, runs `/bills`
and opens the Pay modal, and writes `bills.png` and `pay-modal.png` (1280 by 800) into `docs/`.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from testkit.browser import CHROMIUM, chromium_missing, running_playground

OUT = Path(__file__).resolve().parents[1] / "docs"
WAIT_MS = 20_000


def take(out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    bills, pay = out / "bills.png", out / "pay-modal.png"
    with (
        tempfile.TemporaryDirectory() as data,
        running_playground(Path(data), "--playground") as running,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(WAIT_MS)
        page.goto(running.url)
        expect(page.locator("#messages")).to_contain_text("linked this channel")
        page.locator("#composer-input").fill("/bills")
        page.keyboard.press("Enter")
        listing = page.locator("#messages .message", has_text="outstanding bills").last
        expect(listing).to_contain_text("PF-2291")
        listing.scroll_into_view_if_needed()
        page.evaluate(
            "el => { const box = document.querySelector('#messages');"
            " box.scrollTop = el.offsetTop - box.offsetTop; }",
            listing.element_handle(),
        )
        page.screenshot(path=str(bills))

        card = page.locator(".block.section", has_text="PF-2291").last
        bill_id = str(card.get_attribute("data-block")).split(":", 1)[1]
        actions = page.locator(f'[data-block="card_actions:{bill_id}"]')
        actions.get_by_role("button", name="Approve").click()
        expect(page.locator(f'[data-block$=":{bill_id}"]', has_text="Approved by")).to_have_count(1)
        actions.get_by_role("button", name="Pay…").click()
        # The form, not the loading view it replaces once the bill and accounts are read.
        expect(
            page.locator("#modal-layer .modal").get_by_label(re.compile("^Amount"))
        ).to_be_visible()
        page.screenshot(path=str(pay))
        browser.close()
    return [bills, pay]


def main(argv: list[str]) -> int:
    missing = chromium_missing()
    if missing:
        print(f"Cannot take screenshots: {missing}", file=sys.stderr)
        return 2
    for path in take(Path(argv[0]) if argv else OUT):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
