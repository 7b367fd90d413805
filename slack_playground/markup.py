"""The playground page's HTML around the rendered Block Kit: the page itself, a modal as
Slack's client frames it, and what shows while the bot is starting."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_playground.assets import PAGE_CSS, PAGE_JS
from slack_playground.render import render_blocks


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    real_name: str
    role: str
    locale: str
    tz: str


@dataclass(frozen=True)
class Notice:
    """A line the page always shows: what the bot behind it can reach. `danger` makes it loud
    (real money)."""

    text: str
    danger: bool = False


def modal_markup(
    view: dict[str, Any], names: dict[str, str], people: dict[str, str], *, back: bool
) -> str:
    """A modal as Slack's client shows it: title, blocks, Close (or Back) and Submit."""
    title = html.escape(str((view.get("title") or {}).get("text", "")))
    close = html.escape(str((view.get("close") or {}).get("text", "Cancel")))
    submit = view.get("submit")
    submit_html = (
        f'<button type="submit" class="btn btn-primary">'
        f"{html.escape(str(submit.get('text', 'Submit')))}</button>"
        if submit
        else ""
    )
    return (
        f'<form class="modal" role="dialog" aria-modal="true" aria-labelledby="modal-title"'
        f' data-view-id="{html.escape(str(view["id"]))}">'
        f'<header><h2 id="modal-title">{title}</h2>'
        f'<button type="button" class="close-x" data-close aria-label="Close">&times;</button>'
        "</header>"
        f'<div class="modal-body">{render_blocks(view.get("blocks"), names, people=people)}'
        f'<div class="client-error" role="alert"></div></div>'
        f'<footer><button type="button" class="btn" data-close>{"Back" if back else close}'
        f"</button>{submit_html}</footer></form>"
    )


STARTING_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="1"><title>Bill Pay is starting</title></head>
<body><p>Bill Pay is starting; this page reloads by itself.</p></body></html>"""


def page_html(people: Sequence[DemoPerson], notice: Notice | None = None) -> str:
    """The page, before any state: the script fetches it."""
    notice_html = (
        f'<p class="notice{" danger" if notice.danger else ""}"'
        f' role="{"alert" if notice.danger else "note"}">{html.escape(notice.text)}</p>'
        if notice
        else ""
    )
    options = "".join(
        f'<option value="{p.user_id}">{html.escape(p.real_name)}, {html.escape(p.role)}</option>'
        for p in people
    )
    digest = hashlib.sha256((PAGE_CSS + PAGE_JS).encode()).hexdigest()[:8]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>#finance · Bill Pay playground</title><style>{PAGE_CSS}</style></head>
<body data-assets="{digest}">
<a class="skip" href="#composer-input">Skip to the message box</a>
<aside class="sidebar" aria-label="Workspace">
  <div class="workspace">Larkspur Design Studio</div>
  {notice_html}
  <nav><button type="button" class="nav-item active" data-tab="channel"># finance</button>
  <button type="button" class="nav-item" data-tab="home">Bill Pay (App Home)</button>
  <button type="button" class="nav-item" data-tab="dm">Bill Pay (messages)</button></nav>
  <label class="person">You are
    <select id="person">{options}</select></label>
  <p class="note">Ana approves, and pays what someone else approved; Sam pays; Léa approves
  and pays, in French (fr-FR, Europe/Paris).</p>
  <p class="note">A local playground: no Slack workspace. Everything you do is sent to the bot
  as Slack would send it.</p>
</aside>
<main>
  <section id="channel-pane" class="pane" aria-label="#finance">
    <header class="channel-header"><h1># finance</h1></header>
    <div id="messages" class="messages" aria-live="polite"></div>
    <div id="problems" class="problems" role="alert"></div>
    <form id="composer" class="composer">
      <label for="composer-input" class="visually-hidden">Message #finance</label>
      <input id="composer-input" autocomplete="off" placeholder="Message #finance (try /bills)">
      <button type="submit" class="btn btn-primary">Send</button>
      <div id="composer-error" class="composer-error" role="alert"></div>
    </form>
  </section>
  <section id="home-pane" class="pane" hidden aria-label="App Home">
    <header class="channel-header"><h1>Bill Pay</h1></header>
    <div id="home" class="messages"></div>
  </section>
  <section id="dm-pane" class="pane" hidden aria-label="Bill Pay's direct messages">
    <header class="channel-header"><h1>Bill Pay: messages</h1></header>
    <div id="dm" class="messages"></div>
  </section>
  <aside id="thread-pane" class="thread" hidden aria-label="Thread">
    <header class="channel-header"><h2>Thread</h2>
      <button type="button" class="close-x" id="thread-close"
        aria-label="Close thread">&times;</button>
    </header><div id="thread"></div>
  </aside>
</main>
<div id="modal-layer" class="layer" hidden></div>
<div id="confirm-layer" class="layer" hidden></div>
<script>{PAGE_JS}</script>
</body></html>"""
