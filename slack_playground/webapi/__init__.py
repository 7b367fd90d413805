"""The parts `FakeSlack` (in `slack_playground.slack`) is made of, one family of Slack's Web API
each:

- `calls`: what a call is (`Call`, `SlackError`) and how its arguments read;
- `state`: `SlackState`, the workspace and everything Slack keeps about it, the record of calls
  and problems, ids, waiting for calls and injected faults;
- `dispatch`: `/api/<method>`, from the HTTP request to the method's handler and back;
- `chat`: messages and threads, `chat.*`;
- `response_urls`: the `response_url`s interactions carry;
- `views`: modals and Home tabs, `views.*`, and trigger ids;
- `workspace`: `auth.test`, `api.test`, `users.info`, `conversations.info`,
  `apps.connections.open`;
- `teams`: several workspaces, the OAuth consent screen and `oauth.v2.access`, and which
  workspace each call is made as;
- `files`: files people share (`files.info`, `url_private`); `uploads`: files the bot shares.
"""
