"""The `/bills` message and the cards in it, as pure functions from the cases' views
(`CaseView`) to Block Kit dicts: `message` (the message and its paging), `card` (a bill's
card and its Details), `status` (where a bill stands) and `buttons` (what can be done now)."""
