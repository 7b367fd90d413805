"""Files in the Slack stand-in: what `files_upload_v2` calls (`files.getUploadURLExternal`, the
upload itself, `files.completeUploadExternal`), `files.info`, downloads of `url_private` with
the bot token, and people's replies in threads as the `message` events Slack would send.

Checked as Slack checks them: an upload URL is used once and must receive the declared length,
completion names files that were uploaded, a share goes to a channel the bot is in and a thread
that exists, and downloads need the bot token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.playground.slack import FakeSlack

MAX_TITLE = 255


@dataclass
class _Pending:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class SlackFiles:
    slack: FakeSlack
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    _pending: dict[str, _Pending] = field(default_factory=dict)

    def install(self, app: web.Application) -> None:
        app.router.add_post("/upload/v1/{key}", self._serve_upload)
        app.router.add_get("/files-pri/{key}/{name}", self._serve_download)

    def handlers(self) -> dict[str, Any]:
        return {
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._info,
        }

    # -- what tests use ------------------------------------------------------------------

    def add(
        self,
        name: str,
        content: bytes,
        *,
        mimetype: str = "application/pdf",
        user: str = "U0ANA",
        size: int | None = None,
    ) -> dict[str, Any]:
        """A file a person uploaded (e.g. picked in a file input); its Slack description."""
        file_id = self.slack._new_id("F")
        key = f"{self.slack.team_id}-{file_id}"
        url = f"{self.slack.base_url}/files-pri/{key}/{name}"
        described = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rpartition(".")[2].lower(),
            "size": len(content) if size is None else size,
            "user": user,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "is_external": False,
        }
        self.files[file_id] = described
        self.contents[file_id] = content
        return dict(described)

    def reply(self, channel: str, user: str, text: str, thread_ts: str) -> dict[str, Any]:
        """A person's reply in a thread: stored like Slack, returned as the `message` event."""
        message = self.slack._post(channel, text, None, thread_ts, {"user": user})
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
            "team": self.slack.team_id,
        }

    def shared_in(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Files shared in a thread, in order."""
        return [
            file
            for message in self.slack.thread(channel, thread_ts)
            for file in message.get("files", [])
        ]

    # -- Web API -------------------------------------------------------------------------

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        from bot.playground.slack import SlackError

        filename = args.get("filename")
        try:
            length = int(args.get("length"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            length = -1
        if not isinstance(filename, str) or not filename:
            raise SlackError("invalid_arguments", problems=["missing required argument: filename"])
        if length <= 0:
            raise SlackError("invalid_arguments", problems=["length must be a positive integer"])
        file_id = self.slack._new_id("F")
        key = self.slack._new_id("u", 16)
        self._pending[key] = _Pending(file_id, filename, length)
        return {
            "ok": True,
            "upload_url": f"{self.slack.base_url}/upload/v1/{key}",
            "file_id": file_id,
        }

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        from bot.playground.slack import SlackError

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
            title = item.get("title") or pending.filename
            if len(title) > MAX_TITLE:
                raise SlackError("invalid_arguments", problems=["title longer than 255"])
            done.append((key, pending, title))
        channel = args.get("channel_id") or None
        thread_ts = args.get("thread_ts") or None
        if thread_ts and not channel:
            raise SlackError("invalid_arguments", problems=["thread_ts needs channel_id"])
        files = []
        for key, pending, title in done:
            del self._pending[key]
            described = self.add(
                pending.filename, pending.content or b"", user=self.slack.bot_user_id
            )
            del self.files[described["id"]], self.contents[described["id"]]
            described.update(id=pending.file_id, title=title)
            self.files[pending.file_id] = described
            self.contents[pending.file_id] = pending.content or b""
            files.append(described)
        if channel:
            self.slack._member(channel)
            self.slack._post(
                channel, args.get("initial_comment") or "", None, thread_ts, {"files": files}
            )
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in files]}

    def _info(self, args: dict[str, Any]) -> dict[str, Any]:
        from bot.playground.slack import SlackError

        found = self.files.get(str(args.get("file") or ""))
        if found is None:
            raise SlackError("file_not_found")
        return {"ok": True, "file": dict(found)}

    # -- HTTP ----------------------------------------------------------------------------

    async def _serve_upload(self, request: web.Request) -> web.StreamResponse:
        pending = self._pending.get(request.match_info["key"])
        if pending is None or pending.content is not None:
            self.slack.problems.append("upload: unknown or already used upload URL")
            return web.Response(status=404, text="not found")
        content = await request.read()
        if len(content) != pending.length:
            self.slack.problems.append(
                f"upload: {len(content)} bytes sent for a declared length of {pending.length}"
            )
            return web.Response(status=400, text="length mismatch")
        pending.content = content
        await self.slack.notify()
        return web.Response(text=f"OK - {len(content)}")

    async def _serve_download(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        file_id = key.rpartition("-")[2]
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {self.slack.bot_token}":
            # Slack answers a download without the token with its sign-in page.
            return web.Response(status=200, text="<html>sign in</html>", content_type="text/html")
        content = self.contents.get(file_id)
        if content is None:
            return web.Response(status=404, text="not found")
        self.downloads.append(file_id)
        return web.Response(body=content, content_type=self.files[file_id]["mimetype"])
