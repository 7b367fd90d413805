"""Files the bot shares, in the Slack stand-in: what `files_upload_v2` calls
(`files.getUploadURLExternal`, the upload itself, `files.completeUploadExternal`), and people's
replies in threads as the `message` events Slack would send. Files people share, `files.info`
and downloads are `slack_playground.webapi.files`' (`FakeSlack.add_file`).

Checked as Slack checks them: an upload URL is used once and must receive the declared length,
completion names files that were uploaded, and a share goes to a channel the bot is in and a
thread that exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from slack_playground.webapi.calls import SlackError
from slack_playground.webapi.chat import ChatMethods
from slack_playground.webapi.files import SharedFiles

MAX_TITLE = 255


@dataclass
class _Pending:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class SlackUploads:
    chat: ChatMethods  # messages, threads and the workspace's state
    shared: SharedFiles  # where shared files are stored
    _pending: dict[str, _Pending] = field(default_factory=dict)

    def install(self, app: web.Application) -> None:
        app.router.add_post("/upload/v1/{key}", self._serve_upload)

    def handlers(self) -> dict[str, Any]:
        return {
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # -- what tests use ------------------------------------------------------------------

    def reply(self, channel: str, user: str, text: str, thread_ts: str) -> dict[str, Any]:
        """A person's reply in a thread: stored like Slack, returned as the `message` event."""
        message = self.chat._post(channel, text, None, thread_ts, {"user": user})
        for key in ("bot_id", "app_id"):
            message.pop(key, None)
        return {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": message["ts"],
            "thread_ts": message["thread_ts"],
            "channel_type": "channel",
            "team": self.chat.team_id,
        }

    def shared_in(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Files shared in a thread, in order."""
        return [
            file
            for message in self.chat.thread(channel, thread_ts)
            for file in message.get("files", [])
        ]

    def content(self, file_id: str) -> bytes:
        return self.chat.files[file_id][1]

    # -- Web API -------------------------------------------------------------------------

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = args.get("filename")
        try:
            length = int(str(args.get("length")))
        except ValueError:
            length = -1
        if not isinstance(filename, str) or not filename:
            raise SlackError("invalid_arguments", problems=["missing required argument: filename"])
        if length <= 0:
            raise SlackError("invalid_arguments", problems=["length must be a positive integer"])
        key = self.chat._new_id("u", 16)
        self._pending[key] = _Pending(self.chat._new_id("F", 11), filename, length)
        return {
            "ok": True,
            "upload_url": self.chat.issued_url(f"/upload/v1/{key}"),
            "file_id": self._pending[key].file_id,
        }

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = args.get("files")
        try:
            listed = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            listed = None
        if not isinstance(listed, list) or not listed:
            raise SlackError(
                "invalid_arguments", problems=["files must be a JSON array of {id, title}"]
            )
        by_id = {p.file_id: (key, p) for key, p in self._pending.items()}
        done = []
        for item in listed:
            found = by_id.get(str(item.get("id"))) if isinstance(item, dict) else None
            if found is None:
                raise SlackError("file_not_found", problems=[f"no upload for {item!r}"])
            key, pending = found
            if pending.content is None:
                raise SlackError(
                    "file_not_found", problems=[f"{pending.file_id} was never uploaded"]
                )
            title = str(item.get("title") or pending.filename)
            if len(title) > MAX_TITLE:
                raise SlackError("invalid_arguments", problems=["title longer than 255"])
            done.append((key, pending, title))
        channel = args.get("channel_id") or None
        thread_ts = args.get("thread_ts") or None
        if thread_ts and not channel:
            raise SlackError("invalid_arguments", problems=["thread_ts needs channel_id"])
        if channel:
            self.chat._member(channel)
        files = []
        for key, pending, title in done:
            del self._pending[key]
            record = self.shared.add_file(
                pending.filename,
                pending.content or b"",
                user_id=self.chat.bot_user_id,
                channel_id=channel or "",
            )
            # Slack keeps the id it gave at step 1: the file is stored under that one.
            stored, content = self.chat.files.pop(record["id"])
            for url in ("url_private", "url_private_download"):
                stored[url] = stored[url].replace(record["id"], pending.file_id)
            stored.update(id=pending.file_id, title=title)
            self.chat.files[pending.file_id] = (stored, content)
            files.append(dict(stored))
        if channel:
            comment = args.get("initial_comment") or ""
            self.chat._post(channel, comment, None, thread_ts, {"files": files})
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in files]}

    # -- HTTP ----------------------------------------------------------------------------

    async def _serve_upload(self, request: web.Request) -> web.StreamResponse:
        pending = self._pending.get(request.match_info["key"])
        if pending is None or pending.content is not None:
            self.chat.problems.append("upload: unknown or already used upload URL")
            return web.Response(status=404, text="not found")
        content = await request.read()
        if len(content) != pending.length:
            self.chat.problems.append(
                f"upload: {len(content)} bytes sent for a declared length of {pending.length}"
            )
            return web.Response(status=400, text="length mismatch")
        pending.content = content
        await self.chat.notify()
        return web.Response(text=f"OK - {len(content)}")
