"""A person tries Bill Pay in the playground with a real browser: no Slack workspace, the real
bot, the real sandbox, every payload validated as Slack would.

One browser and one `billpay run --playground` process for the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from billpay.core.i18n import words, write_money
from slack_playground.page import PEOPLE
from testkit.browser import (
    CHROMIUM,
    Running,
    chromium_missing,
    playground_env,
    running_playground,
)

# Slow: a browser and a process of its own; one worker runs them all, beside one playground.
pytestmark = [
    pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing())),
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
]

WAIT_MS = 15_000


# Module-scoped, not session-scoped: Playwright's sync API keeps an event loop running in this
# thread while it is open, which the asyncio tests that follow could not run beside.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("playground")
    # Payments go out at once (no undo window), so the card turns paid while the test waits.
    env = playground_env(data, BILLPAY_PAYMENT_HOLD_SECONDS="0")
    with running_playground(data, "--playground", env=env) as running:
        yield running


@pytest.fixture
def page(browser: Any, playground: Running) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(playground.url)
    yield page
    # Each test starts with no modal open: close what this one left open, for everyone.
    page.evaluate(
        """async users => { for (const user of users) for (let i = 0; i < 3; i++)
          await fetch('/ui/close', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                    body: JSON.stringify({user})}); }""",
        [person.user_id for person in PEOPLE],
    )
    context.close()


def command(page: Any, text: str) -> None:
    page.locator("#composer-input").fill(text)
    page.keyboard.press("Enter")
    from playwright.sync_api import expect

    expect(page.locator("#composer-input")).to_have_value("")


def card_actions(page: Any, reference: str) -> Any:
    """The buttons of the newest card showing `reference`."""
    card = page.locator(".block.section", has_text=reference).last
    card.wait_for()
    bill_id = str(card.get_attribute("data-block")).split(":", 1)[1]
    return page.locator(f'[data-block="card_actions:{bill_id}"]').last, bill_id


def test_a_person_approves_and_pays_a_bill_then_the_channel_reads_french(page: Any) -> None:
    from playwright.sync_api import expect

    messages = page.locator("#messages")
    # The channel is linked to the demo company on first open; connecting again says so.
    expect(messages).to_contain_text("linked this channel to Larkspur Design Studio Ltd")
    command(page, "/billpay connect Larkspur Design Studio Ltd")
    expect(messages).to_contain_text("re-linked this channel")

    command(page, "/bills")
    actions, bill_id = card_actions(page, "BW-88213")
    actions.get_by_role("button", name="Approve").click()
    card = page.locator(f'[data-block$=":{bill_id}"]')
    expect(card.filter(has_text="Approved by")).to_have_count(1)

    # Ana approved it; whoever approved a bill does not pay it: Sam does.
    page.locator("#person").select_option("U0SAM")
    page.locator(f'[data-block="card_actions:{bill_id}"]').get_by_role(
        "button", name="Pay…"
    ).click()
    modal = page.locator("#modal-layer .modal")
    expect(modal).to_be_visible()
    amount = modal.get_by_label(re.compile("^Amount"))
    expect(amount).to_have_value("432.98")

    # As the payer types, the form redraws with what is wrong; what was typed stays.
    reference = modal.get_by_label(re.compile("^Reference"))
    reference.fill("Paid from the playground")
    amount.fill("500")
    expect(modal).to_contain_text("That is more than the £432.98 still due on this bill.")
    expect(amount).to_have_value("500")
    expect(reference).to_have_value("Paid from the playground")
    expect(amount).to_be_focused()
    modal.get_by_role("button", name="Pay", exact=True).click()
    error = modal.locator('[data-input="pay_amount"] .field-error')
    expect(error).to_be_visible()
    expect(error).to_contain_text("£432.98")
    expect(modal).to_be_visible()  # still open: nothing was paid

    amount.fill("432.98")
    modal.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator(f'[data-block="card_actions:{bill_id}"]')).to_have_count(0)
    expect(card.first).to_contain_text(re.compile("paid", re.IGNORECASE))
    # The modal now shows the outcome, until it is closed.
    expect(modal).to_contain_text("£432.98")
    modal.locator("footer").get_by_role("button", name="Close").click()
    expect(modal).to_have_count(0)
    expect(page.locator("#problems")).to_be_empty()

    # Léa makes the channel French: its cards use the French catalog's words and the money
    # as a French team writes it (GBP), whoever lists them.
    page.locator("#person").select_option("U0LEA")
    command(page, "/billpay language fr")
    expect(page.locator("#messages .message").last).to_contain_text("langue de ce canal")
    page.locator("#person").select_option("U0ANA")
    command(page, "/bills")
    french = words("fr_FR")
    newest = page.locator("#messages .message").last
    expect(newest.get_by_role("button", name=french("Approve")).first).to_be_visible()
    expect(newest).to_contain_text(write_money(Decimal("3000"), "GBP", "fr_FR"))
    expect(page.locator("#problems")).to_be_empty()
    # The playground is shared by the tests that follow: the channel speaks English again.
    command(page, "/billpay language en")
    expect(page.locator("#messages .message").last).to_contain_text("this channel's language")


def test_the_page_reads_at_phone_width_and_works_from_the_keyboard(
    browser: Any, playground: Running
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(playground.url)
        expect(page.locator("#messages")).to_contain_text("linked this channel")
        before = page.locator("#messages .message").count()
        page.locator("#composer-input").focus()
        page.keyboard.type("/bills overdue")
        page.keyboard.press("Enter")
        expect(page.locator("#messages .message")).to_have_count(before + 1)
        actions, _ = card_actions(page, "PF-2291")
        approve = actions.get_by_role("button", name="Approve")
        approve.focus()
        expect(approve).to_be_focused()
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        # The overflow menu opens from the keyboard.
        actions.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(actions.locator(".overflow-item").first).to_be_visible()
        # Reject opens its modal from the keyboard (no confirm dialog: the bot refuses first
        # whoever may not reject); Tab stays in the modal; Escape closes it.
        actions.get_by_role("button", name="Reject").focus()
        # A live update meanwhile redraws the message; the focus stays on the button.
        page.evaluate("fetch('/ui/state').then(() => 0)")
        page.locator("#person").dispatch_event("change")
        expect(actions.get_by_role("button", name="Reject")).to_be_focused()
        page.keyboard.press("Enter")
        modal = page.locator("#modal-layer .modal")
        expect(modal).to_be_visible()
        expect(modal.locator("textarea, input").first).to_be_focused()
        for _ in range(6):
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.closest('.modal') !== null")
        page.keyboard.press("Escape")
        expect(modal).to_have_count(0)
    finally:
        context.close()


def test_a_field_error_shows_even_when_the_bot_redraws_the_form_during_the_submission(
    page: Any,
) -> None:
    """The Pay form redraws itself as the payer types. A redraw that lands while the
    submission is on its way replaces the form on the page: the submission's field error
    must still appear, on the form shown, and what the payer typed must stay."""
    from playwright.sync_api import expect

    expect(page.locator("#messages")).to_contain_text("linked this channel")
    before = page.locator("#messages .message").count()
    command(page, "/bills overdue")
    expect(page.locator("#messages .message")).to_have_count(before + 1)
    actions, bill_id = card_actions(page, "PF-2291")
    actions.get_by_role("button", name="Approve").click()
    card = page.locator(f'#messages .message:last-child [data-block$=":{bill_id}"]')
    expect(card.filter(has_text="Approved by")).to_have_count(1)
    page.locator("#person").select_option("U0SAM")  # who approved does not pay
    page.locator(f'[data-block="card_actions:{bill_id}"]').last.get_by_role(
        "button", name="Pay…"
    ).click()
    modal = page.locator("#modal-layer .modal")
    amount = modal.get_by_label(re.compile("^Amount"))
    expect(amount).to_be_visible()
    view_id = modal.get_attribute("data-view-id")

    held: list[Any] = []
    page.route("**/ui/submit", lambda route: held.append(route))
    amount.fill("999999")
    modal.get_by_role("button", name="Pay", exact=True).click()
    for _ in range(WAIT_MS // 50):  # the submission reaches the page's network layer
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the submission was not sent"
    page.evaluate("document.querySelector('#modal-layer form').dataset.before = '1'")
    # A change sent meanwhile (as from another keystroke) makes the bot redraw the form.
    page.evaluate(
        """([view, user]) => fetch('/ui/action', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({user, view_id: view, action_id: 'pay_amount',
                                  block_id: 'pay_amount', value: '999998'})})""",
        [view_id, "U0SAM"],
    )
    page.wait_for_function("() => !document.querySelector('#modal-layer form')?.dataset.before")
    # Redrawn under the person: the focus stays on the button they pressed.
    expect(modal.get_by_role("button", name="Pay", exact=True)).to_be_focused()
    held[0].continue_()

    error = modal.locator('[data-input="pay_amount"] .field-error')
    expect(error).to_be_visible()
    expect(amount).to_have_value("999999")
    expect(amount).to_be_focused()  # the field the error is about


def test_an_update_redraws_only_the_messages_that_changed(page: Any) -> None:
    """A message nobody changed keeps its place on the page while others arrive or change,
    so a click on it is never lost to an unrelated update."""
    from playwright.sync_api import expect

    messages = page.locator("#messages .message")
    expect(page.locator("#messages")).to_contain_text("linked this channel")
    first = messages.first.element_handle()
    before = messages.count()
    command(page, "/bills")
    expect(messages).to_have_count(before + 1)
    actions, bill_id = card_actions(page, "NOS-55821")
    actions.get_by_role("button", name="Approve").click()
    expect(
        page.locator(f'[data-block$=":{bill_id}"]').filter(has_text="Approved by").first
    ).to_be_visible()
    assert first.evaluate("element => element.isConnected")


def test_the_address_with_the_token_opens_the_page_and_reloads_keep_working(
    browser: Any, playground: Running
) -> None:
    """The token opens the page and leaves the address bar (the page keeps it as a cookie);
    a reload and the page's live updates keep working. A browser without it gets the plain
    refusal, the page's requests included."""
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(playground.url)
        expect(page.locator("#messages")).to_contain_text("linked this channel")
        assert "token" not in page.url
        assert "no real money can move" in page.locator(".notice").inner_text()
        page.reload()
        expect(page.locator("#messages")).to_contain_text("linked this channel")
        before = page.locator("#messages .message").count()
        command(page, "/billpay help")
        expect(page.locator("#messages .message")).to_have_count(before + 1)
        cookies = context.cookies()
        assert [(c["httpOnly"], c["sameSite"]) for c in cookies] == [(True, "Strict")]
    finally:
        context.close()

    stranger = browser.new_context()
    page = stranger.new_page()
    try:
        response = page.goto(f"{playground.base_url}/")
        assert response is not None and response.status == 403
        assert "carry its token" in page.locator("body").inner_text()
        status = page.evaluate("fetch('/ui/state').then(r => r.status)")
        assert status == 403
    finally:
        stranger.close()
