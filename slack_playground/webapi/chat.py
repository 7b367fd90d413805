"""Messages and threads: what Slack stores of them and the `chat.*` methods.

`chat.postMessage`, `chat.update`, `chat.postEphemeral`, `chat.delete` and `chat.getPermalink`
check their arguments as Slack does (`blocks` validated with `slack_playground.blockkit`, text
length, a channel the bot is in, a thread that exists) and keep messages, replies under their
thread and ephemerals the way Slack would show them.
"""

from __future__ import annotations

import copy
from typing import Any

from slack_playground.blockkit import validate_message_blocks
from slack_playground.webapi.calls import SlackError
from slack_playground.webapi.state import SlackState


class ChatMethods(SlackState):
    """The message store and `chat.*`."""

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies under the message `ts` in `channel`, oldest first."""
        return list(self._replies.get((channel, ts), []))

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """A stored message or reply (KeyError if there is none)."""
        found = self._find_message(channel, ts)
        if found is None:
            raise KeyError((channel, ts))
        return found

    def channel_of(self, ts: str) -> str | None:
        """The channel of a stored message or reply with this ts."""
        for channel, message_ts in self._all_message_keys():
            if message_ts == ts:
                return channel
        return None

    def _all_message_keys(self) -> list[tuple[str, str]]:
        keys = list(self.messages)
        for (channel, _), replies in self._replies.items():
            keys += [(channel, r["ts"]) for r in replies]
        return keys

    def _find_message(self, channel: str, ts: str | None) -> dict[str, Any] | None:
        if ts is None:
            return None
        found = self.messages.get((channel, ts))
        if found is not None:
            return found
        parent = self._parent_of.get((channel, ts))
        if parent is not None:
            for reply in self._replies.get((channel, parent), []):
                if reply["ts"] == ts:
                    return reply
        return None

    def _delete_message(self, channel: str, ts: str) -> None:
        if self.messages.pop((channel, ts), None) is not None:
            for reply in self._replies.pop((channel, ts), []):
                self._parent_of.pop((channel, reply["ts"]), None)
            return
        parent = self._parent_of.pop((channel, ts), None)
        if parent is not None:
            replies = self._replies.get((channel, parent), [])
            replies[:] = [r for r in replies if r["ts"] != ts]

    def _post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        parent_ts = None
        if thread_ts:
            parent_ts = self._parent_of.get((channel, thread_ts), thread_ts)
            if (channel, parent_ts) not in self.messages:
                raise SlackError("thread_not_found")
        ts = self.new_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": text or "",
            "ts": ts,
        }
        if blocks:
            message["blocks"] = self._with_ids(blocks)
        message.update(extra or {})
        if parent_ts is None:
            self.messages[(channel, ts)] = message
        else:
            message["thread_ts"] = parent_ts
            parent = self.messages[(channel, parent_ts)]
            parent["thread_ts"] = parent_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
            self._replies.setdefault((channel, parent_ts), []).append(message)
            self._parent_of[(channel, ts)] = parent_ts
        return message

    def _message_args(self, args: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Validate `blocks` (and blocks inside `attachments`); return the blocks."""
        problems: list[str] = []
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            raise SlackError("invalid_blocks_format", problems=["blocks is not a JSON array"])
        if blocks is not None:
            problems += validate_message_blocks(blocks)
        attachments = args.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                problems.append("attachments must be an array [json-pointer:/attachments]")
            else:
                for i, attachment in enumerate(attachments):
                    if isinstance(attachment, dict) and "blocks" in attachment:
                        problems += validate_message_blocks(
                            attachment["blocks"], pointer=f"/attachments/{i}/blocks"
                        )
        if problems:
            raise SlackError(
                "invalid_blocks",
                problems=problems,
                errors=problems,
                response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
            )
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            raise SlackError("invalid_arguments", problems=["text must be a string"])
        if isinstance(text, str) and len(text) > 40_000:
            raise SlackError("msg_too_long", problems=["text is longer than 40000 characters"])
        return blocks if isinstance(blocks, list) else None

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        blocks = self._message_args(args)
        if not args.get("text") and not blocks and not args.get("attachments"):
            raise SlackError("no_text", problems=["a message needs text, blocks or attachments"])
        self._member(channel)
        extra = {k: args[k] for k in ("attachments", "metadata") if args.get(k) is not None}
        message = self._post(channel, args.get("text") or "", blocks, args.get("thread_ts"), extra)
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": copy.deepcopy(message),
        }

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = args.get("ts")
        if not ts:
            raise SlackError("message_not_found", problems=["missing required argument: ts"])
        blocks = self._message_args(args)
        if "text" not in args and "blocks" not in args and "attachments" not in args:
            raise SlackError("no_text", problems=["chat.update needs text, blocks or attachments"])
        message = self._find_message(channel, str(ts))
        if message is None:
            raise SlackError("message_not_found")
        if "text" in args:
            message["text"] = args.get("text") or ""
        if "blocks" in args:
            if blocks:
                message["blocks"] = self._with_ids(blocks)
            else:
                message.pop("blocks", None)
        if "attachments" in args:
            message["attachments"] = args["attachments"]
        message["edited"] = {"user": self.bot_user_id, "ts": self.new_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        user = args.get("user")
        if not user:
            raise SlackError("user_not_found", problems=["missing required argument: user"])
        blocks = self._message_args(args)
        if not args.get("text") and not blocks and not args.get("attachments"):
            raise SlackError("no_text", problems=["an ephemeral needs text, blocks or attachments"])
        self._member(channel)
        ts = self.new_ts()
        record = {
            "channel": channel,
            "user": user,
            "text": args.get("text") or "",
            "blocks": blocks,
            "message_ts": ts,
        }
        if args.get("thread_ts"):
            record["thread_ts"] = args["thread_ts"]
        self.ephemerals.append(record)
        return {"ok": True, "message_ts": ts}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("ts") or "")
        if self._find_message(channel, ts) is None:
            raise SlackError("message_not_found")
        self._delete_message(channel, ts)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("message_ts") or "")
        if self._find_message(channel, ts) is None:
            raise SlackError("message_not_found")
        url = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": url}
