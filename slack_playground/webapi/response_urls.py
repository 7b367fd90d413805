"""`response_url`s: the URLs slash commands and interactions carry, each tied to a channel, a
user and (for a message's actions) a message, and usable five times.

A post replaces or deletes the original message, posts in the channel (`in_channel`) or shows
an ephemeral, as Slack does; its `blocks` are validated like `chat.postMessage`'s. The
original is the message whose button was used (an ephemeral one too); a slash command has
none until its URL posts one, and then it is the last message that URL posted, so a command
can put its answer in the place of a placeholder it showed ("Reading bills…"), or delete it.
An ephemeral replaced stays ephemeral, where it was.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from slack_playground.blockkit import validate_message_blocks
from slack_playground.webapi.calls import SlackError, truthy
from slack_playground.webapi.chat import ChatMethods
from slack_playground.webapi.state import ResponseHook

MAX_RESPONSE_URL_USES = 5


class ResponseUrls(ChatMethods):
    """Issuing `response_url`s and answering posts to them."""

    def new_response_url(
        self, *, channel_id: str, user_id: str, message_ts: str | None = None
    ) -> str:
        """A response_url tied to a channel, a user and (for message actions) a message."""
        n = self._next()
        self._hooks[n] = ResponseHook(channel_id=channel_id, user_id=user_id, message_ts=message_ts)
        return self.issued_url(f"/response/{n}")

    async def _serve_response_url(self, request: web.Request) -> web.StreamResponse:
        n = (
            int(request.match_info["n"])
            if request.match_info["n"].isascii() and request.match_info["n"].isdigit()
            else -1
        )
        url = f"{self.base_url}/response/{request.match_info['n']}"
        hook = self._hooks.get(n)
        try:
            body = await request.json()
        except ValueError:
            body = None
        error, problems = self._apply_response(hook, body)
        self.problems += [f"response_url: {p}" for p in problems]
        if isinstance(body, dict):
            self.responses.append({**body, "response_url": url})
        await self.notify()
        if error is not None:
            status = 404 if error in ("expired_url", "used_url") else 400
            return web.json_response({"ok": False, "error": error}, status=status)
        return web.json_response({"ok": True})

    def _apply_response(self, hook: ResponseHook | None, body: Any) -> tuple[str | None, list[str]]:
        if hook is None:
            return "expired_url", ["post to a response_url the fake never issued"]
        if not isinstance(body, dict):
            return "invalid_payload", ["response_url bodies must be JSON objects"]
        hook.uses += 1
        if hook.uses > MAX_RESPONSE_URL_USES:
            return "used_url", [f"response_url used more than {MAX_RESPONSE_URL_USES} times"]
        blocks = body.get("blocks")
        problems = validate_message_blocks(blocks) if blocks is not None else []
        if problems:
            return "invalid_blocks", problems
        original, ephemeral = self._original(hook)
        if truthy(body.get("delete_original")):
            if original is None:
                return "message_not_found", []
            if ephemeral:
                self.ephemerals.remove(original)
            else:
                self._delete_message(hook.channel_id, original["ts"])
            return None, []
        if not body.get("text") and not blocks:
            return "no_text", ["a response needs text or blocks"]
        if truthy(body.get("replace_original")) and original is not None:
            original["text"] = body.get("text", "")
            original.pop("blocks", None)
            if blocks:
                original["blocks"] = blocks if ephemeral else self._with_ids(blocks)
            if not ephemeral:  # shown "(edited)", as after chat.update
                original["edited"] = {"user": self.bot_user_id, "ts": self.new_ts()}
            return None, []
        if body.get("response_type") == "in_channel":
            try:
                posted = self._post(
                    hook.channel_id, body.get("text", ""), blocks, body.get("thread_ts")
                )
            except SlackError as exc:
                return exc.error, exc.problems
            ts = str(posted["ts"])
        else:
            ts = self.new_ts()
            self.ephemerals.append(
                {
                    "channel": hook.channel_id,
                    "user": hook.user_id,
                    "text": body.get("text", ""),
                    "blocks": blocks,
                    "message_ts": ts,
                }
            )
        hook.posted_ts = ts
        return None, []

    def _original(self, hook: ResponseHook) -> tuple[dict[str, Any] | None, bool]:
        """The message a post's `replace_original` or `delete_original` acts on, if it is still
        there, and whether it is an ephemeral (as the stand-in keeps those)."""
        ts = hook.message_ts or hook.posted_ts
        if ts is None:
            return None, False
        found = self._find_message(hook.channel_id, ts)
        if found is not None:
            return found, False
        for ephemeral in self.ephemerals:
            if ephemeral["message_ts"] == ts and ephemeral["user"] == hook.user_id:
                return ephemeral, True
        return None, False
