"""A person tries Bill Pay in the playground with a real browser: no Slack workspace, the real
bot, the real sandbox, every payload validated as Slack would.

One browser and one `billpay run --playground` process for the module.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from billpay.core.i18n import words, write_money
from billpay.slack.budget import PATIENCE_SECONDS
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


def bills(page: Any) -> None:
    """`/bills`, once its message shows (cards looked up then are the new message's)."""
    from playwright.sync_api import expect

    before = page.locator("#messages .message").count()
    command(page, "/bills")
    expect(page.locator("#messages .message")).to_have_count(before + 1)
    expect(page.locator("#messages .message").last).to_contain_text("outstanding bills")


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


def test_lea_types_an_amount_the_french_way_and_reads_her_payment_in_french(page: Any) -> None:
    """Léa writes amounts as a French accountant does (`1.234,56`, `310,80`): the Pay form
    answers with an amount or a reason on the field, never a fault of ours, and the result of
    her payment, Close button included, is in her language while the channel's card stays in
    the channel's (English)."""
    from playwright.sync_api import expect

    french = words("fr_FR")
    expect(page.locator("#messages")).to_contain_text("linked this channel")
    bills(page)
    actions, bill_id = card_actions(page, "KC-40019")
    actions.get_by_role("button", name="Approve").click()
    card = page.locator(f'#messages .message:last-child [data-block$=":{bill_id}"]')
    expect(card.filter(has_text="Approved by")).to_have_count(1)

    page.locator("#person").select_option("U0LEA")  # Ana approved: Léa pays
    page.locator(f'[data-block="card_actions:{bill_id}"]').last.get_by_role(
        "button", name="Pay…"
    ).click()
    modal = page.locator("#modal-layer .modal")
    amount = modal.get_by_label(
        re.compile("^" + re.escape(french("Amount ({currency})", currency="GBP")))
    )
    expect(amount).to_be_visible()
    due = write_money(Decimal("310.80"), "GBP", "fr_FR")

    amount.fill("1.234,56")  # more than is due, read as 1 234,56: a reason on the field
    modal.get_by_role("button", name=french("Pay"), exact=True).click()
    error = modal.locator('[data-input="pay_amount"] .field-error')
    expect(error).to_contain_text(
        french("That is more than the {due} still due on this bill.", due=due)
    )
    expect(modal).not_to_contain_text("Un problème est survenu de notre côté")

    amount.fill("310,80")
    modal.get_by_role("button", name=french("Pay"), exact=True).click()
    expect(page.locator(f'[data-block="card_actions:{bill_id}"]')).to_have_count(0)
    expect(modal).to_contain_text(due)
    close = modal.locator("footer").get_by_role("button", name=french("Close"))
    expect(close).to_have_text("Fermer")
    close.click()
    expect(modal).to_have_count(0)
    # The channel speaks English: the card says so in English, whoever paid.
    expect(card.first).to_contain_text(re.compile("paid", re.IGNORECASE))
    expect(page.locator("#problems")).to_be_empty()
    page.locator("#person").select_option("U0ANA")


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


def _on_screen(page: Any, selector: str) -> bool:
    """Whether the element is (at least partly) inside the viewport, as a person sees it."""
    return bool(
        page.evaluate(
            """sel => { const r = document.querySelector(sel).getBoundingClientRect();
                        return r.bottom > 0 && r.top < window.innerHeight; }""",
            selector,
        )
    )


def test_menus_close_on_escape_and_a_click_elsewhere_and_one_opens_at_a_time(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#messages")).to_contain_text("linked this channel")
    bills(page)
    first, _ = card_actions(page, "NOS-55821")
    second, _ = card_actions(page, "PF-2291")
    first_menu, second_menu = first.locator("details.overflow"), second.locator("details.overflow")

    first_menu.locator("summary").click()
    expect(first_menu.locator(".overflow-item").first).to_be_visible()
    second_menu.locator("summary").click()
    expect(second_menu.locator(".overflow-item").first).to_be_visible()
    expect(first_menu.locator(".overflow-item").first).to_be_hidden()  # one at a time

    page.keyboard.press("Escape")
    expect(second_menu.locator(".overflow-item").first).to_be_hidden()
    expect(second_menu.locator("summary")).to_be_focused()

    first_menu.locator("summary").click()
    expect(first_menu.locator(".overflow-item").first).to_be_visible()
    page.locator("#channel-pane .channel-header").click()
    expect(first_menu.locator(".overflow-item").first).to_be_hidden()
    expect(page.locator("details.overflow[open]")).to_have_count(0)


def test_closing_a_modal_gives_the_focus_back_to_the_button_that_opened_it(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#messages")).to_contain_text("linked this channel")
    bills(page)
    actions, _ = card_actions(page, "NOS-55821")
    reject = actions.get_by_role("button", name="Reject")
    reject.focus()
    page.keyboard.press("Enter")
    modal = page.locator("#modal-layer .modal")
    expect(modal).to_be_visible()
    page.keyboard.press("Escape")
    expect(modal).to_have_count(0)
    expect(reject).to_be_focused()

    reject.click()
    expect(modal).to_be_visible()
    modal.locator("footer").get_by_role("button").first.click()  # Cancel
    expect(modal).to_have_count(0)
    expect(reject).to_be_focused()


def test_on_a_phone_the_answer_to_a_command_scrolls_into_view(
    browser: Any, playground: Running
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(playground.url)
        expect(page.locator("#messages")).to_contain_text("linked this channel")
        for _ in range(2):  # a channel longer than the screen
            before = page.locator("#messages .message").count()
            page.locator("#composer-input").fill("/bills")
            page.keyboard.press("Enter")
            expect(page.locator("#messages .message")).to_have_count(before + 1)
            newest = page.locator("#messages .message").last
            expect(newest).to_contain_text("outstanding bills")
            page.wait_for_function(
                """() => { const r = document.querySelector('#messages').lastElementChild
                             .getBoundingClientRect(); return r.top < window.innerHeight; }"""
            )
            assert _on_screen(page, "#messages > .message:last-child")
        assert page.evaluate("document.documentElement.scrollHeight") > 844
    finally:
        context.close()


def test_a_reload_is_not_an_error_in_the_log(page: Any, playground: Running) -> None:
    """A page that goes away (reloaded, closed) is normal: the process logs no error for it."""
    from playwright.sync_api import expect

    expect(page.locator("#messages")).to_contain_text("linked this channel")
    seen = len(playground.lines)
    for _ in range(2):
        page.reload()
        expect(page.locator("#messages")).to_contain_text("linked this channel")
    before = page.locator("#messages .message").count()
    command(page, "/billpay help")  # a change: the pages that went away are written to
    expect(page.locator("#messages .message")).to_have_count(before + 1)
    page.wait_for_timeout(500)
    logged = "".join(playground.lines[seen:])
    assert "Cannot write to closing transport" not in logged
    assert "ERROR" not in logged and "Traceback" not in logged, logged


@pytest.fixture(scope="module")
def held_playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A playground whose payments wait two minutes before they go out: Undo can stop them."""
    data = tmp_path_factory.mktemp("held")
    env = playground_env(data, BILLPAY_PAYMENT_HOLD_SECONDS="120")
    with running_playground(data, "--playground", env=env) as running:
        yield running


def test_undo_is_reached_from_the_keyboard_within_its_window(
    browser: Any, held_playground: Running
) -> None:
    """Approve, Pay and Undo with the keyboard only: when the Pay form closes, the focus is
    back on the card, a Tab or two from Undo."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(held_playground.url)
        expect(page.locator("#messages")).to_contain_text("linked this channel")
        bills(page)
        actions, bill_id = card_actions(page, "BW-88213")
        actions.get_by_role("button", name="Approve").focus()
        page.keyboard.press("Enter")
        card = page.locator(f'[data-block$=":{bill_id}"]')
        expect(card.filter(has_text="Approved by")).to_have_count(1)

        page.locator("#person").select_option("U0SAM")
        pay = page.locator(f'[data-block="card_actions:{bill_id}"]').get_by_role(
            "button", name="Pay…"
        )
        pay.focus()
        page.keyboard.press("Enter")
        modal = page.locator("#modal-layer .modal")
        amount = modal.get_by_label(re.compile("^Amount"))
        expect(amount).to_have_value("432.98")
        amount.focus()
        page.keyboard.press("Enter")  # submits the form
        undo = page.locator(f'[data-block="card_actions:{bill_id}"]').get_by_role(
            "button", name="Undo"
        )
        expect(undo).to_be_visible()
        if modal.count():
            page.keyboard.press("Escape")
        expect(modal).to_have_count(0)
        for _ in range(3):
            if page.evaluate("document.activeElement.textContent.trim()") == "Undo":
                break
            page.keyboard.press("Tab")
        expect(undo).to_be_focused()
        page.keyboard.press("Enter")
        if page.locator("#confirm-layer .confirm").count():
            page.keyboard.press("Enter")  # the confirm dialog's own button has the focus
        expect(page.locator("#messages")).to_contain_text("Undone")
        expect(page.locator("#problems")).to_be_empty()
    finally:
        context.close()


@pytest.fixture(scope="module")
def slow_playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A playground on a slow accounting platform: the sandbox's latency fault adds 2.5 s to
    every call."""
    data = tmp_path_factory.mktemp("slow")
    env = playground_env(data, BILLPAY_SANDBOX_LATENCY_MS="2500")
    with running_playground(data, "--playground", env=env) as running:
        yield running


def test_on_a_slow_platform_the_page_shows_at_once_that_work_started(
    browser: Any, slow_playground: Running
) -> None:
    """`/bills` shows "Reading bills…" (the bot's placeholder, after its second of patience),
    then the bot's answer in its place; once the bills are read, the cards. Approve shows at
    once that it is at work, until the card says who approved."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(slow_playground.url)
        messages = page.locator("#messages")
        expect(messages).to_contain_text("linked this channel", timeout=60_000)
        page.locator("#composer-input").fill("/bills")
        sent = time.monotonic()
        page.keyboard.press("Enter")
        placeholder = messages.locator(".message.ephemeral", has_text="Reading bills…")
        expect(placeholder).to_be_visible(timeout=(PATIENCE_SECONDS + 1) * 1000)
        shown = time.monotonic() - sent
        assert shown < PATIENCE_SECONDS + 1, f"Reading bills… after {shown:.1f} s"
        where = placeholder.get_attribute("data-ts")
        # The answer takes the placeholder's place (still reading, or the cards' summary).
        expect(placeholder).to_have_count(0, timeout=60_000)
        if page.locator(f'#messages [data-ts="{where}"]').count():
            expect(page.locator(f'#messages [data-ts="{where}"]')).to_contain_text("bills")
        cards = page.locator(".block.section", has_text="BW-88213")
        for _ in range(30):  # "Try again in a moment", as a person would
            if cards.count():
                break
            page.wait_for_timeout(5000)
            command(page, "/bills")
            page.wait_for_timeout(1000)
        actions, bill_id = card_actions(page, "BW-88213")

        approve = actions.get_by_role("button", name="Approve")
        approve.click()
        clicked = time.monotonic()
        expect(approve).to_have_attribute("aria-busy", "true", timeout=1000)
        assert time.monotonic() - clicked < 1
        expect(approve).to_have_class(re.compile(r"\bworking\b"))
        card = page.locator(f'[data-block$=":{bill_id}"]')
        expect(card.filter(has_text="Approved by").last).to_be_visible(timeout=60_000)
        expect(page.locator(".btn.working")).to_have_count(0)
        expect(page.locator("#problems")).to_be_empty()
    finally:
        context.close()
