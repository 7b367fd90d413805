"""The playground's Block Kit renderer: each supported block and element shows what Slack's
client would, text is always escaped, and anything else is shown as unsupported."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slack_playground.blockkit import validate_message_blocks, validate_view
from slack_playground.reading import Reader, reading_as
from slack_playground.render import (
    SUPPORTED_BLOCKS,
    SUPPORTED_ELEMENTS,
    render_block,
    render_blocks,
    render_element,
    render_mrkdwn,
    render_text,
)

NAMES = {"U0ANA": "Ana Lopez"}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


class Tags(HTMLParser):
    """The start tags of some HTML, with their attributes."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> dict[str, str | None]:
        for name, found in self.tags:
            if name == tag and all(found.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                return found
        raise AssertionError(f"no <{tag}> with {attrs} in {self.tags}")

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [found for name, found in self.tags if name == tag]

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


# -- text -----------------------------------------------------------------------------------


def test_mrkdwn_bold_italic_strike_code_and_quotes() -> None:
    html = render_mrkdwn("*Pinecrest* _late_ ~old~ `PF-2291`\n&gt; a quote")
    assert "<strong>Pinecrest</strong>" in html
    assert "<em>late</em>" in html
    assert "<del>old</del>" in html
    assert "<code>PF-2291</code>" in html
    assert "<blockquote>a quote</blockquote>" in html


def test_mrkdwn_shows_mentions_as_names_and_links_as_links() -> None:
    html = render_mrkdwn("<@U0ANA> approved · <https://example.com/b?x=1&amp;y=2|the bill>", NAMES)
    assert '<span class="mention">@Ana Lopez</span>' in html
    link = Tags(html).find("a")
    assert link["href"] == "https://example.com/b?x=1&y=2"
    assert link["rel"] == "noopener noreferrer"
    assert "the bill" in Tags(html).words


def test_mrkdwn_special_mentions_dates_and_channels() -> None:
    html = render_mrkdwn("<!here> <#C0FIN|finance> <!date^1700000000^{date}|22 Nov 2026>")
    assert Tags(html).words == "@here #finance 22 Nov 2026"
    assert Tags(render_mrkdwn("<#C0FIN>", {"C0FIN": "finance"})).words == "#finance"


def test_mrkdwn_escaped_text_stays_text() -> None:
    """A supplier named `<!channel> <script>` as the bot escapes it never becomes a mention or
    markup."""
    html = render_mrkdwn("&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; co")
    assert "<script>" not in html
    assert "mention" not in html
    assert Tags(html).words == "<!channel> <script>alert(1)</script> & co"


def test_mrkdwn_code_blocks_keep_their_text_unformatted() -> None:
    html = render_mrkdwn("```*not bold*\nline```")
    assert "<pre>*not bold*&#10;line</pre>" in html


def test_emoji_shortcodes_become_emoji_and_unknown_ones_stay() -> None:
    assert render_text(plain(":warning: overdue :unknown_thing:")) == "⚠️ overdue :unknown_thing:"
    assert render_mrkdwn(":paperclip: *Invoice* :question:") == "📎 <strong>Invoice</strong> ❓"


def test_every_emoji_the_bot_writes_shows_as_an_emoji() -> None:
    """Every short name in the bot's catalogs and blocks is one Slack knows: none shows raw."""
    root = Path(__file__).resolve().parents[2] / "billpay"
    sources = [*root.glob("locale/*/LC_MESSAGES/messages.po"), *root.glob("slack/**/*.py")]
    names = {
        name
        for source in sources
        for name in re.findall(r":[a-z][a-z0-9_+-]*:", source.read_text(encoding="utf-8"))
    }
    assert {":paperclip:", ":white_check_mark:", ":question:"} <= names
    raw = {name for name in names if render_text(plain(name)) == name}
    assert not raw, f"shown as typed, not as emoji: {sorted(raw)}"


@pytest.mark.parametrize(
    ("locale", "zone", "num", "short", "long"),
    [
        ("fr-FR", "Europe/Paris", "05/12/2026", "5 déc. 2026", "samedi 5 décembre 2026"),
        ("en-US", "America/New_York", "12/5/2026", "Dec 5, 2026", "Saturday, December 5, 2026"),
    ],
)
def test_date_tokens_read_in_the_readers_locale_and_time_zone(
    locale: str, zone: str, num: str, short: str, long: str
) -> None:
    # 2026-12-05 12:00 UTC: the same day in Paris and New York.
    token = "<!date^1796472000^{date_num} · {date_short} · {date_long}|5 Dec 2026>"
    with reading_as(Reader(locale, ZoneInfo(zone))):
        written = Tags(render_mrkdwn(token)).words
    assert written == f"{num} · {short} · {long}"


def test_a_date_token_follows_the_readers_time_zone_across_midnight() -> None:
    token = "<!date^1796513400^{date_num} {time}|fallback>"  # 2026-12-05 23:30 UTC
    with reading_as(Reader("fr-FR", ZoneInfo("Europe/Paris"))):
        assert Tags(render_mrkdwn(token)).words == "06/12/2026 00:30"
    with reading_as(Reader("en-US", ZoneInfo("America/New_York"))):
        assert Tags(render_mrkdwn(token)).words == "12/5/2026 6:30 PM"


def test_a_date_token_without_a_reader_or_with_an_unknown_format_shows_its_fallback() -> None:
    assert Tags(render_mrkdwn("<!date^1796472000^{date}|5 Dec 2026>")).words == "5 Dec 2026"
    with reading_as(Reader("fr-FR", ZoneInfo("Europe/Paris"))):
        assert Tags(render_mrkdwn("<!date^1796472000^{nope}|5 Dec>")).words == "5 Dec"


@given(st.text(max_size=200))
def test_no_text_can_inject_markup(text: str) -> None:
    for markup in (render_mrkdwn(text, NAMES), render_text(plain(text))):
        tags = {name for name, _ in Tags(markup).tags}
        assert tags <= {"strong", "em", "del", "code", "pre", "blockquote", "br", "span", "a"}
        for _, attrs in Tags(markup).tags:
            assert not any(k.startswith("on") for k in attrs)


# -- blocks ---------------------------------------------------------------------------------


def test_header() -> None:
    html = render_block({"type": "header", "text": plain("Bills & more")})
    assert html.startswith('<h3 class="block header">')
    assert "Bills &amp; more" in html


def test_section_with_text_fields_and_a_button_accessory() -> None:
    block = {
        "type": "section",
        "block_id": "card:B1",
        "text": mrkdwn("*Pinecrest* · PF-2291"),
        "fields": [mrkdwn("*Due*\n1 Nov 2026"), plain("£3,000.00")],
        "accessory": {
            "type": "button",
            "action_id": "details",
            "text": plain("Details"),
            "value": "B1",
        },
    }
    tags = Tags(render_block(block))
    assert tags.find("div", data_block="card:B1")
    assert len([t for t in tags.all("div") if t.get("class") == "field"]) == 2
    button = tags.find("button", data_action_id="details")
    assert button["data-block-id"] == "card:B1"
    assert button["data-value"] == "B1"
    assert tags.words == "Pinecrest · PF-2291 Due 1 Nov 2026 £3,000.00 Details"


def test_context_with_text_and_image() -> None:
    block = {
        "type": "context",
        "elements": [
            mrkdwn("Approved by <@U0ANA>"),
            {"type": "image", "image_url": "https://x.test/a.png", "alt_text": "logo"},
        ],
    }
    tags = Tags(render_block(block, NAMES))
    assert tags.find("img", alt="logo")["src"] == "https://x.test/a.png"
    assert tags.words == "Approved by @Ana Lopez"


def test_actions_with_styled_buttons_and_a_confirm_dialog() -> None:
    confirm = {
        "title": plain("Reject?"),
        "text": mrkdwn("Reject *PF-2291*?"),
        "confirm": plain("Reject"),
        "deny": plain("Keep"),
        "style": "danger",
    }
    block = {
        "type": "actions",
        "block_id": "card_actions:B1",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": plain("Approve"),
                "style": "primary",
            },
            {
                "type": "button",
                "action_id": "reject",
                "text": plain("Reject"),
                "style": "danger",
                "confirm": confirm,
            },
            {"type": "button", "action_id": "open", "text": plain("Open"), "url": "https://x.test"},
        ],
    }
    assert validate_message_blocks([block]) == []
    tags = Tags(render_block(block))
    assert tags.find("button", data_action_id="approve")["class"] == "btn btn-primary"
    reject = tags.find("button", data_action_id="reject")
    assert reject["class"] == "btn btn-danger"
    words = json.loads(str(reject["data-confirm"]))
    assert words == {
        "title": "Reject?",
        "text": "Reject <strong>PF-2291</strong>?",
        "confirm": "Reject",
        "deny": "Keep",
        "style": "danger",
    }
    assert tags.find("a", data_action_id="open")["href"] == "https://x.test"


def test_overflow_menu_lists_its_options_as_menu_items() -> None:
    element = {
        "type": "overflow",
        "action_id": "more",
        "options": [option("Details", "d"), option("Remind", "r")],
    }
    tags = Tags(render_element(element, "card_actions:B1"))
    items = [t for t in tags.all("button") if t.get("role") == "menuitem"]
    assert [i["data-value"] for i in items] == ["d", "r"]
    assert all(i["data-kind"] == "overflow" for i in items)
    assert tags.find("summary", aria_label="More actions")


def test_divider_and_image_blocks() -> None:
    assert render_block({"type": "divider"}) == '<hr class="block divider">'
    image = {
        "type": "image",
        "image_url": "https://x.test/i.png",
        "alt_text": "chart",
        "title": plain("Due"),
    }
    tags = Tags(render_block(image))
    assert tags.find("img", alt="chart")
    assert tags.words == "Due"


def input_block(element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "field",
        "label": plain("Field"),
        "element": {"action_id": "value", **element},
        "optional": optional,
    }


def test_input_with_a_plain_text_input_its_hint_and_an_error_under_it() -> None:
    block = input_block({"type": "plain_text_input", "initial_value": "432.98"})
    block["hint"] = plain("Up to £432.98")
    html = render_block(block, errors={"field": "Enter at most £432.98"})
    tags = Tags(html)
    assert tags.find("input", data_action_id="value")["value"] == "432.98"
    assert tags.find("div", data_input="field")["data-required"] == "1"
    assert tags.find("div", role="alert")
    assert tags.words == "Field Up to £432.98 Enter at most £432.98"


def test_multiline_input_is_a_text_area_and_optional_says_so() -> None:
    block = input_block({"type": "plain_text_input", "multiline": True}, optional=True)
    tags = Tags(render_block(block))
    assert tags.find("textarea", data_action_id="value")
    assert "(optional)" in tags.words
    assert "data-required" not in tags.find("div", data_input="field")


def test_static_select_marks_its_initial_option() -> None:
    element = {
        "type": "static_select",
        "options": [option("Current", "a"), option("Savings", "b")],
        "initial_option": option("Savings", "b"),
    }
    tags = Tags(render_block(input_block(element)))
    assert [(o.get("value"), "selected" in o) for o in tags.all("option")] == [
        ("a", False),
        ("b", True),
    ]


def test_static_select_without_initial_option_asks_to_choose() -> None:
    element = {"type": "static_select", "options": [option("A", "a")], "placeholder": plain("Pick")}
    tags = Tags(render_element(element, "b"))
    assert tags.all("option")[0] == {"value": "", "disabled": None, "selected": None}
    assert tags.words == "Pick A"


def test_external_select_is_a_search_box_with_its_initial_option() -> None:
    element = {
        "type": "external_select",
        "action_id": "supplier",
        "min_query_length": 2,
        "initial_option": option("Pinecrest", "s1"),
    }
    tags = Tags(render_element(element, "b"))
    box = tags.find("input", role="combobox")
    assert box["value"] == "Pinecrest"
    assert box["data-min"] == "2"
    assert json.loads(str(box["data-option"])) == option("Pinecrest", "s1")
    assert tags.find("datalist")


def test_users_select_lists_the_people() -> None:
    element = {"type": "users_select", "initial_user": "U0SAM"}
    people = {"U0ANA": "Ana Lopez", "U0SAM": "Sam Okafor"}
    tags = Tags(render_element(element, "b", people=people))
    assert [(o["value"], "selected" in o) for o in tags.all("option")] == [
        ("U0ANA", False),
        ("U0SAM", True),
    ]


def test_datepicker_is_a_date_input() -> None:
    tags = Tags(render_element({"type": "datepicker", "initial_date": "2026-12-01"}, "b"))
    assert tags.find("input", type="date")["value"] == "2026-12-01"


@pytest.mark.parametrize(
    ("kind", "input_type"), [("checkboxes", "checkbox"), ("radio_buttons", "radio")]
)
def test_checkboxes_and_radio_buttons(kind: str, input_type: str) -> None:
    chosen = option("Mon", "1")
    element: dict[str, Any] = {
        "type": kind,
        "options": [chosen, {**option("Tue", "2"), "description": plain("busy")}],
    }
    element["initial_options" if kind == "checkboxes" else "initial_option"] = (
        [chosen] if kind == "checkboxes" else chosen
    )
    tags = Tags(render_element(element, "days"))
    boxes = tags.all("input")
    assert [b["type"] for b in boxes] == [input_type, input_type]
    assert ["checked" in b for b in boxes] == [True, False]
    assert tags.words == "Mon Tue busy"


def test_file_input_accepts_the_given_types() -> None:
    element = {"type": "file_input", "filetypes": ["pdf", "png"], "max_files": 2}
    tags = Tags(render_element(element, "b"))
    found = tags.find("input", type="file")
    assert found["accept"] == ".pdf,.png"
    assert "multiple" in found


def test_number_input_is_text_with_a_decimal_keypad() -> None:
    tags = Tags(render_element({"type": "number_input", "is_decimal_allowed": True}, "b"))
    assert tags.find("input", data_kind="number_input")["inputmode"] == "decimal"


def test_image_element_as_an_accessory() -> None:
    element = {"type": "image", "image_url": "https://x.test/t.png", "alt_text": "thumb"}
    assert Tags(render_element(element, "b")).find("img", alt="thumb")["class"] == "thumb"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "rich_text", "elements": []},
        {"type": "video", "title": plain("v")},
        {"type": "actions", "elements": [{"type": "timepicker", "action_id": "t"}]},
        {"type": "context", "elements": [{"type": "button", "text": plain("x")}]},
    ],
)
def test_what_it_does_not_support_is_shown_as_unsupported(block: dict[str, Any]) -> None:
    html = render_block(block)
    assert 'class="unsupported"' in html
    assert re.search(r"Unsupported (block|element|context element): <code>\w+</code>", html)


def test_every_supported_kind_is_listed() -> None:
    assert set(SUPPORTED_BLOCKS) == {
        "header",
        "section",
        "context",
        "actions",
        "divider",
        "image",
        "input",
    }
    for kind in SUPPORTED_ELEMENTS:
        assert "Unsupported" not in render_element({"type": kind, "action_id": "a"}, "b"), kind


def test_a_real_pay_modal_renders_every_input() -> None:
    view = {
        "type": "modal",
        "callback_id": "pay",
        "title": plain("Pay bill"),
        "submit": plain("Pay"),
        "blocks": [
            input_block({"type": "plain_text_input"}),
            {**input_block({"type": "datepicker"}), "block_id": "date"},
        ],
    }
    view["blocks"][1]["element"]["action_id"] = "date"
    assert validate_view(view) == []
    tags = Tags(render_blocks(view["blocks"]))
    assert len([t for t in tags.all("div") if "data-input" in t]) == 2


def test_an_input_that_dispatches_its_actions_says_so() -> None:
    block = {**input_block({"type": "static_select", "options": [option("A", "a")]})}
    assert "data-dispatch" not in render_block(block)
    block["dispatch_action"] = True
    assert Tags(render_block(block)).find("div", data_input="field")["data-dispatch"] == "on_change"


def test_a_text_field_that_dispatches_says_when_as_slack_would() -> None:
    block = {**input_block({"type": "plain_text_input"}), "dispatch_action": True}
    # Slack's default for a text field: the action is sent when Enter is pressed.
    assert Tags(render_block(block)).find("div", data_input="field")["data-dispatch"] == (
        "on_enter_pressed"
    )
    block["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_character_entered"]}
    assert Tags(render_block(block)).find("div", data_input="field")["data-dispatch"] == (
        "on_character_entered"
    )
