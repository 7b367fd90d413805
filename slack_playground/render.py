"""Block Kit as HTML, for the playground's page: what a person would see in Slack's client.

Pure functions: blocks (dicts, as the bot sent them) in, HTML strings out; every piece of text is
escaped. Interactive elements carry their `action_id` and `block_id` in `data-` attributes, which
the page's script sends back to the bot as Slack would. A block or element this renderer does not
know is shown as such ("Unsupported block: rich_text"), never dropped silently.

Supported blocks: header, section (text, fields, accessory), context, actions, divider, image,
input. Elements: button (with style, url and confirm), overflow (with confirm), static_select,
external_select, users_select, datepicker, checkboxes, radio_buttons, plain_text_input (single
and multiline), number_input, file_input, image. Text: plain_text (with emoji shortcodes) and the
mrkdwn subset the bot writes (bold, italic, strike, code, pre, quotes, links, user, channel and
special mentions, dates, escapes). Emoji short names become emoji (unknown ones stay as typed);
`<!date^…>` tokens are written for the reader set with `slack_playground.reading.reading_as`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import emoji

from slack_playground.reading import date_token

__all__ = [
    "SUPPORTED_BLOCKS",
    "SUPPORTED_ELEMENTS",
    "render_blocks",
    "render_mrkdwn",
    "render_text",
]


_ESCAPED = re.compile(r"&(amp|lt|gt);")
_ANGLE = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_STYLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "del"),
]

Names = Mapping[str, str]


def _unescape_slack(text: str) -> str:
    return _ESCAPED.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


def _emoji(escaped: str) -> str:
    """Slack's short names (`:paperclip:`, `:white_check_mark:`) as the emoji they name, from
    the emoji table's Slack and GitHub aliases; a name it does not know stays as typed, as in
    Slack."""

    def one(match: re.Match[str]) -> str:
        written: str = emoji.emojize(match.group(0), language="alias")
        return written if written != match.group(0) else match.group(0)

    return _EMOJI.sub(one, escaped)


def render_text(obj: Any, names: Names | None = None) -> str:
    """A text object (plain_text or mrkdwn) as inline HTML."""
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return render_mrkdwn(text, names)
    return _emoji(html.escape(text))


def _link(inner: str, names: Names) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = target[1:]
        return f'<span class="mention">@{html.escape(names.get(user, label or user))}</span>'
    if target.startswith("#"):
        channel = target[1:]
        return f'<span class="mention">#{html.escape(names.get(channel, label or channel))}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">{html.escape(label or "@group")}</span>'
    if target.startswith("!date^"):
        written = date_token(target[1:])
        shown = html.escape(written if written is not None else _unescape_slack(label))
        link = target.split("^")[3] if target.count("^") >= 3 else ""
        if written is not None and re.match(r"^https?://", link):
            return (
                f'<a href="{html.escape(_unescape_slack(link))}" target="_blank" '
                f'rel="noopener noreferrer">{shown}</a>'
            )
        return shown
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(target[1:])}</span>'
    if re.match(r"^(https?|mailto):", target):
        shown = html.escape(_unescape_slack(label or target))
        return (
            f'<a href="{html.escape(_unescape_slack(target))}" target="_blank" '
            f'rel="noopener noreferrer">{shown}</a>'
        )
    return html.escape(f"<{_unescape_slack(inner)}>")


def _inline(text: str, names: Names) -> str:
    """One stretch of mrkdwn without code: links and mentions, then bold, italic, strike."""
    links: list[str] = []

    def hold(match: re.Match[str]) -> str:
        links.append(_link(match.group(1), names))
        return f"\x00{len(links) - 1}\x00"  # kept out of the styling below

    styled = _emoji(html.escape(_unescape_slack(_ANGLE.sub(hold, text)), quote=False))
    for pattern, tag in _STYLES:
        styled = pattern.sub(rf"<{tag}>\1</{tag}>", styled)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], styled)


def render_mrkdwn(text: str, names: Names | None = None) -> str:
    """Slack's mrkdwn (the subset the bot writes) as HTML."""
    names = names or {}
    parts: list[str] = []
    # ```pre``` first, then `code`: nothing inside them is formatted.
    for i, chunk in enumerate(re.split(r"```", text)):
        if i % 2:
            code = html.escape(_unescape_slack(chunk.strip("\n"))).replace("\n", "&#10;")
            parts.append(f"<pre>{code}</pre>")
            continue
        pieces = re.split(r"`([^`\n]+)`", chunk)
        line = "".join(
            f"<code>{html.escape(_unescape_slack(p))}</code>" if j % 2 else _inline(p, names)
            for j, p in enumerate(pieces)
        )
        parts.append(line)
    lines = "".join(parts).split("\n")
    rendered = [
        f"<blockquote>{line[5:]}</blockquote>" if line.startswith("&gt; ") else line
        for line in lines
    ]
    return "<br>".join(rendered).replace("</blockquote><br>", "</blockquote>")


# -- elements -------------------------------------------------------------------------------


def _attrs(**values: Any) -> str:
    return "".join(
        f' {key.replace("_", "-")}="{html.escape(str(value))}"'
        for key, value in values.items()
        if value is not None and value is not False
    )


def _data(element: dict[str, Any], block_id: str) -> str:
    attrs = _attrs(
        data_kind=element.get("type"),
        data_action_id=element.get("action_id", ""),
        data_block_id=block_id,
    )
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        attrs += _attrs(data_confirm=json.dumps(_confirm_words(confirm)))
    return attrs


def _confirm_words(confirm: dict[str, Any]) -> dict[str, str]:
    """A confirm dialog's words for the page's script, already as HTML."""
    return {
        "title": render_text(confirm.get("title")),
        "text": render_text(confirm.get("text")),
        "confirm": render_text(confirm.get("confirm")) or "Yes",
        "deny": render_text(confirm.get("deny")) or "Cancel",
        "style": str(confirm.get("style", "")),
    }


def _option_label(option: dict[str, Any], names: Names) -> str:
    return render_text(option.get("text"), names)


def _button(element: dict[str, Any], block_id: str, names: Names) -> str:
    style = element.get("style")
    classes = "btn" + (f" btn-{style}" if style in ("primary", "danger") else "")
    label = render_text(element.get("text"), names)
    if element.get("url"):
        return (
            f'<a class="{classes}" href="{html.escape(str(element["url"]))}" target="_blank"'
            f' rel="noopener noreferrer"{_data(element, block_id)}>{label}</a>'
        )
    data = _data(element, block_id) + _attrs(data_value=element.get("value"))
    return f'<button type="button" class="{classes}"{data}>{label}</button>'


def _overflow(element: dict[str, Any], block_id: str, names: Names) -> str:
    items = "".join(
        f'<li><button type="button" role="menuitem" class="overflow-item"{_data(element, block_id)}'
        f"{_attrs(data_value=o.get('value'))}>{_option_label(o, names)}</button></li>"
        for o in element.get("options") or []
    )
    return (
        '<details class="overflow"><summary class="btn" aria-label="More actions">⋯</summary>'
        f'<ul role="menu">{items}</ul></details>'
    )


def _options_html(element: dict[str, Any], selected: list[Any], names: Names) -> str:
    def one(option: dict[str, Any]) -> str:
        chosen = " selected" if option.get("value") in selected else ""
        value = html.escape(str(option.get("value", "")))
        label = html.escape(str((option.get("text") or {}).get("text", "")))
        return f'<option value="{value}"{chosen}>{_emoji(label)}</option>'

    groups = element.get("option_groups")
    if groups:
        return "".join(
            f'<optgroup label="{html.escape(str((g.get("label") or {}).get("text", "")))}">'
            + "".join(one(o) for o in g.get("options") or [])
            + "</optgroup>"
            for g in groups
        )
    return "".join(one(o) for o in element.get("options") or [])


def _placeholder(element: dict[str, Any]) -> str:
    return str((element.get("placeholder") or {}).get("text", ""))


def _static_select(element: dict[str, Any], block_id: str, names: Names, label: str) -> str:
    initial = element.get("initial_option") or {}
    prompt = html.escape(_placeholder(element) or "Select an option")
    empty = "" if initial else f'<option value="" disabled selected>{prompt}</option>'
    return (
        f'<select{_data(element, block_id)} aria-label="{label}">{empty}'
        f"{_options_html(element, [initial.get('value')], names)}</select>"
    )


def _external_select(element: dict[str, Any], block_id: str, names: Names, label: str) -> str:
    initial = element.get("initial_option") or {}
    shown = html.escape(str((initial.get("text") or {}).get("text", "")))
    value = json.dumps(initial) if initial else None
    list_id = f"list-{block_id}-{element.get('action_id', '')}"
    return (
        f'<span class="external"><input type="text" role="combobox" autocomplete="off"'
        f' list="{html.escape(list_id)}"{_data(element, block_id)}'
        f"{_attrs(data_option=value, data_min=element.get('min_query_length', 3))}"
        f' aria-label="{label}"{_attrs(placeholder=_placeholder(element) or "Type to search")}'
        f' value="{shown}"><datalist id="{html.escape(list_id)}"></datalist></span>'
    )


def _users_select(
    element: dict[str, Any], block_id: str, names: Names, label: str, people: Names
) -> str:
    initial = element.get("initial_user")
    prompt = html.escape(_placeholder(element) or "Select a person")
    options = "".join(
        f'<option value="{html.escape(uid)}"{" selected" if uid == initial else ""}>'
        f"{html.escape(name)}</option>"
        for uid, name in people.items()
    )
    empty = "" if initial else f'<option value="" disabled selected>{prompt}</option>'
    return f'<select{_data(element, block_id)} aria-label="{label}">{empty}{options}</select>'


def _datepicker(element: dict[str, Any], block_id: str, label: str) -> str:
    return (
        f'<input type="date"{_data(element, block_id)} aria-label="{label}"'
        f"{_attrs(value=element.get('initial_date'))}>"
    )


def _choices(element: dict[str, Any], block_id: str, names: Names, label: str) -> str:
    kind = element["type"]
    input_type = "checkbox" if kind == "checkboxes" else "radio"
    initial = element.get("initial_options") or (
        [element["initial_option"]] if element.get("initial_option") else []
    )
    chosen = {o.get("value") for o in initial}
    group = html.escape(f"{block_id}/{element.get('action_id', '')}")
    items = []
    for option in element.get("options") or []:
        description = option.get("description")
        extra = (
            f'<span class="description">{render_text(description, names)}</span>'
            if description
            else ""
        )
        checked = " checked" if option.get("value") in chosen else ""
        items.append(
            f'<label class="choice"><input type="{input_type}" name="{group}"'
            f"{_attrs(value=option.get('value'))}{checked}{_data(element, block_id)}>"
            f" {_option_label(option, names)}{extra}</label>"
        )
    return f'<fieldset class="choices" aria-label="{label}">{"".join(items)}</fieldset>'


def _text_input(element: dict[str, Any], block_id: str, label: str) -> str:
    kind = element["type"]
    common = _data(element, block_id) + _attrs(
        aria_label=label,
        placeholder=_placeholder(element) or None,
        maxlength=element.get("max_length"),
    )
    initial = element.get("initial_value")
    if kind == "plain_text_input" and element.get("multiline"):
        return f"<textarea{common}>{html.escape(str(initial or ''))}</textarea>"
    input_type = {"number_input": "text", "email_text_input": "email", "url_text_input": "url"}
    mode = ' inputmode="decimal"' if kind == "number_input" else ""
    return f'<input type="{input_type.get(kind, "text")}"{mode}{common}{_attrs(value=initial)}>'


TEXT_INPUTS = ("plain_text_input", "number_input", "email_text_input", "url_text_input")


def _triggers(element: dict[str, Any]) -> str:
    """When an element of a `dispatch_action` block tells the bot: a text field as typed or on
    Enter (Slack's default), never when it merely loses the focus; anything else on change."""
    if element.get("type") not in TEXT_INPUTS:
        return "on_change"
    config = element.get("dispatch_action_config")
    triggers = config.get("trigger_actions_on") if isinstance(config, dict) else None
    return " ".join(triggers) if isinstance(triggers, list) and triggers else "on_enter_pressed"


def _file_input(element: dict[str, Any], block_id: str, label: str) -> str:
    types = ",".join(f".{t}" for t in element.get("filetypes") or [])
    return (
        f'<input type="file"{_data(element, block_id)} aria-label="{label}"'
        f"{_attrs(accept=types or None)}"
        f"{' multiple' if int(element.get('max_files', 1)) > 1 else ''}>"
    )


def _image(element: dict[str, Any], css: str = "image") -> str:
    url = element.get("image_url") or ""
    alt = html.escape(str(element.get("alt_text", "")))
    return f'<img class="{css}" src="{html.escape(str(url))}" alt="{alt}">'


SUPPORTED_ELEMENTS = (
    "button",
    "overflow",
    "static_select",
    "external_select",
    "users_select",
    "datepicker",
    "checkboxes",
    "radio_buttons",
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "file_input",
    "image",
)


def unsupported(kind: str, what: str = "element") -> str:
    return (
        f'<div class="unsupported" role="note">Unsupported {what}: '
        f"<code>{html.escape(kind)}</code> (the playground does not show it)</div>"
    )


def render_element(
    element: Any,
    block_id: str,
    names: Names | None = None,
    *,
    label: str = "",
    people: Names | None = None,
) -> str:
    """One element (an accessory, an action or an input's element)."""
    names = names or {}
    if not isinstance(element, dict):
        return unsupported(type(element).__name__)
    kind = str(element.get("type"))
    label = html.escape(label)
    renderers: dict[str, Callable[[], str]] = {
        "button": lambda: _button(element, block_id, names),
        "overflow": lambda: _overflow(element, block_id, names),
        "static_select": lambda: _static_select(element, block_id, names, label),
        "external_select": lambda: _external_select(element, block_id, names, label),
        "users_select": lambda: _users_select(element, block_id, names, label, people or names),
        "datepicker": lambda: _datepicker(element, block_id, label),
        "checkboxes": lambda: _choices(element, block_id, names, label),
        "radio_buttons": lambda: _choices(element, block_id, names, label),
        "plain_text_input": lambda: _text_input(element, block_id, label),
        "number_input": lambda: _text_input(element, block_id, label),
        "email_text_input": lambda: _text_input(element, block_id, label),
        "url_text_input": lambda: _text_input(element, block_id, label),
        "file_input": lambda: _file_input(element, block_id, label),
        "image": lambda: _image(element, "thumb"),
    }
    render = renderers.get(kind)
    return render() if render else unsupported(kind)


# -- blocks ---------------------------------------------------------------------------------


def _section(block: dict[str, Any], block_id: str, names: Names, people: Names | None) -> str:
    body = ""
    if block.get("text"):
        body += f'<div class="text">{render_text(block["text"], names)}</div>'
    if block.get("fields"):
        body += '<div class="fields">' + "".join(
            f'<div class="field">{render_text(f, names)}</div>' for f in block["fields"]
        )
        body += "</div>"
    accessory = block.get("accessory")
    side = ""
    if accessory is not None:
        side = (
            f'<div class="accessory">'
            f"{render_element(accessory, block_id, names, label='Options', people=people)}</div>"
        )
    return f'<div class="block section"><div class="main">{body}</div>{side}</div>'


def _context(block: dict[str, Any], names: Names) -> str:
    parts = []
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") == "image":
            parts.append(_image(element, "context-image"))
        elif isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
            parts.append(f"<span>{render_text(element, names)}</span>")
        else:
            parts.append(unsupported(str((element or {}).get("type")), "context element"))
    return f'<div class="block context">{"".join(parts)}</div>'


def _actions(block: dict[str, Any], block_id: str, names: Names, people: Names | None) -> str:
    elements = "".join(
        render_element(e, block_id, names, label="Action", people=people)
        for e in block.get("elements") or []
    )
    return f'<div class="block actions">{elements}</div>'


def _input(
    block: dict[str, Any], block_id: str, names: Names, people: Names | None, errors: Names
) -> str:
    label = str((block.get("label") or {}).get("text", ""))
    element = block.get("element") or {}
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    hint = block.get("hint")
    hint_html = f'<div class="hint">{render_text(hint, names)}</div>' if hint else ""
    error = errors.get(block_id)
    error_html = (
        f'<div class="field-error" role="alert">{html.escape(error)}</div>' if error else ""
    )
    field = render_element(element, block_id, names, label=label, people=people)
    required = "" if block.get("optional") else ' data-required="1"'
    # dispatch_action: the element sends block_actions as it changes, as outside inputs; a
    # text field when its triggers say (as typed, or on Enter).
    if block.get("dispatch_action"):
        required += _attrs(data_dispatch=_triggers(element))
    return (
        f'<div class="block input"{_attrs(data_input=block_id)}{required}>'
        f'<label class="label">{html.escape(label)}{optional}</label>{field}{hint_html}'
        f'<div class="field-error-slot">{error_html}</div></div>'
    )


SUPPORTED_BLOCKS = ("header", "section", "context", "actions", "divider", "image", "input")


def render_block(
    block: Any,
    names: Names | None = None,
    *,
    people: Names | None = None,
    errors: Names | None = None,
) -> str:
    """One block as HTML; its first tag carries the block_id (`data-block`)."""
    markup = _render_block(block, names, people=people, errors=errors)
    if isinstance(block, dict) and block.get("block_id"):
        where = markup.index(">")
        markup = f"{markup[:where]}{_attrs(data_block=block['block_id'])}{markup[where:]}"
    return markup


def _render_block(
    block: Any,
    names: Names | None = None,
    *,
    people: Names | None = None,
    errors: Names | None = None,
) -> str:
    names = names or {}
    if not isinstance(block, dict):
        return unsupported(type(block).__name__, "block")
    kind = str(block.get("type"))
    block_id = str(block.get("block_id", ""))
    if kind == "header":
        return f'<h3 class="block header">{render_text(block.get("text"), names)}</h3>'
    if kind == "section":
        return _section(block, block_id, names, people)
    if kind == "context":
        return _context(block, names)
    if kind == "actions":
        return _actions(block, block_id, names, people)
    if kind == "divider":
        return '<hr class="block divider">'
    if kind == "image":
        title = block.get("title")
        caption = f"<figcaption>{render_text(title, names)}</figcaption>" if title else ""
        return f'<figure class="block image">{_image(block)}{caption}</figure>'
    if kind == "input":
        return _input(block, block_id, names, people, errors or {})
    return unsupported(kind, "block")


def render_blocks(
    blocks: Any,
    names: Names | None = None,
    *,
    people: Names | None = None,
    errors: Names | None = None,
) -> str:
    """A message's or a view's blocks as HTML."""
    if not isinstance(blocks, list):
        return ""
    return "".join(render_block(b, names, people=people, errors=errors) for b in blocks)
