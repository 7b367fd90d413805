"""Files people share in the workspace: `add_file` (a file as a message's `files` carries it),
`files.info`, and downloads of a file's `url_private`, which need the bot token of the file's
workspace as Slack's do.
Files the bot shares are `uploads`' (`FakeSlack.uploads`)."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from slack_playground.webapi.calls import Download, SlackError, bearer_token
from slack_playground.webapi.teams import TeamsAndOAuth


class SharedFiles(TeamsAndOAuth):
    """Files people share: `add_file`, `files.info` and `url_private` downloads."""

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        mimetype: str = "application/pdf",
        user_id: str = "U0ANA",
        channel_id: str = "C0FIN",
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """A file shared in `channel_id` of the workspace `team_id` (the stand-in's own by
        default), as `files.info` describes it (its `url_private` needs that workspace's bot
        token); returns the record a message's `files` carries."""
        file_id = self._new_id("F", 11)
        url = f"{self.base_url}/files-pri/{team_id or self.team_id}-{file_id}/{name}"
        record = {
            "id": file_id,
            "created": self.ts_epoch,
            "timestamp": self.ts_epoch,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rpartition(".")[2].lower() if "." in name else "binary",
            "user": user_id,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "channels": [channel_id],
        }
        self.files[file_id] = (record, content)
        if team_id is not None and team_id != self.team_id:
            self.file_teams[file_id] = team_id
        return copy.deepcopy(record)

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = args.get("file")
        if not file_id:
            raise SlackError("invalid_arguments", problems=["files.info needs `file`"])
        found = self.files.get(str(file_id))
        if found is None or self.file_teams.get(str(file_id), self.team_id) != self.calling_team:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": copy.deepcopy(found[0]),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        """A file's `url_private`: the bytes with the bot token as a bearer token; without it,
        as Slack does, a redirect to the sign-in page, never the file."""
        team_file = request.match_info["team_file"]
        team_id, _, file_id = team_file.partition("-")
        token = bearer_token(request.headers.get("Authorization"))
        found = self.files.get(file_id)
        team = self.team_of_token(token)
        ok = found is not None and team is not None and team.team_id == team_id
        self.downloads.append(Download(file_id=file_id, token=token, ok=ok))
        await self.notify()
        if found is None:
            return web.Response(status=404, text="file not found")
        if not ok:
            return web.Response(status=302, headers={"Location": f"{self.base_url}/signin"})
        record, content = found
        return web.Response(body=content, content_type=record["mimetype"])
