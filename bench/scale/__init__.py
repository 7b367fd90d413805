"""What the bot costs as a company grows: 500, 5,000 and 50,000 outstanding bills (`--sizes`).

Run with `python -m bench.scale --sizes 500 5000 50000` (`make bench` runs 500 and 5,000,
`make bench-large` 50,000 and the digest of 200 channels; `--parts 2 3` leaves the simulated
days and the load out, for a quick look at a size). Each size is one world: the payables
sandbox on a thread and loop of its own (`Sandbox.start_on_own_thread`) with the demo company
grown in bulk (`Sandbox.seed_bulk`), the real bot served by uvicorn on a free port, signed
requests from the fake Slack, and every payables request the bot makes counted on the wire
(with the most in flight per company). The bot's clock and the sandbox's run with the wall clock
from Monday 23 November 2026, 08:00 UTC, and are moved on together for the simulated days.
Figures are ratios to a baseline measured in this process, each beside its target (no
threshold fails the run):

1. `/bills` to its first answer (the signed command leaving to the first `chat.postMessage` or
   response in the fake Slack) once the mirror is filled, and the payables calls it made:
   target at most 2x the time at the smallest size, 0 calls.
2. The live re-read a payment makes (`Mirror.live_bill`), of an outstanding bill and of one
   just paid in the platform: target at most 2 calls.
3. Start-up to `/healthz` (`billpay run --http` on the world's database, already linked and
   filled; the payables sandbox is the world's, served over HTTP from this process, so the
   bot's process starts no sandbox of its own) against a bare Bolt app (one listener, served by
   uvicorn the same way): target 2x. Both load compiled bytecode, as an installed bot does
   (`compile_bytecode`). Each process's CPU seconds at `/healthz` are beside (steadier than
   the wall clock on a shared machine). Then the first signed `/bills` sent once `/healthz`
   answered: its ack (target: 1 s, a third of the 3 s Slack waits) and its listing, so that
   no part of the start can move into the first request unseen.
4. With `--digest-channels N`: the digests of N channels (two per company) of companies of
   5,000 bills, from the mirror; the mirror's tables are filled by copying one company's rows
   filled by its own sync (the mirror has no bulk path): target 0 calls.
5. A simulated day: the link (the first fill), 20 `/bills`, the digest, 10 payments (approve,
   Pay…, submit), 5 `/supplier`, the reminders, and the mirror's tick every 15 minutes (96 a
   day, `Mirror.sync_due`), as calls against Codat's daily share for one company (1,000 x 2)
   and for one of 50 (1,000 x 51 / 50); the link day and a steady day apart. Target: under 25 %.
6. At the largest size: the ack of signed Refresh clicks (a card's overflow menu), 10 and 50
   at once, p99, without and during a whole sync of the mirror (target 1.5x); 300 `/bills`, 10
   at once (sent for `--load-seconds` at most): time to each first answer (target 3 s; answers
   paired with commands in order of arrival) and the most payables requests in flight per
   company (target 10).

Each part is a module with its printing: `bills` (1), `live_reads` (2), `startup` (3),
`digests` (4), `days` (5), `load` (6); `world` sets up each size's world, `people` does what
people do in it, `figures` holds what the parts measure, `__main__` runs them.
"""
