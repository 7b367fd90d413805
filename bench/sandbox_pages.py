"""What a page of the payables lists costs the sandbox as a connection grows: the first and a
later page of list bills (no query, `status=Paid`, the bills changed lately), in both paging
modes, at 500, 5,000 and 50,000 bills (`--sizes`), each as a ratio to the same page at the
smallest size, with the records it holds.

Run with `python -m bench.sandbox_pages` (a world of 50,000 bills builds in a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import time
from datetime import date

import httpx

from payables_sandbox import bulk_seed
from payables_sandbox.app import Sandbox, SandboxConfig

KEY = "bench-key"
TODAY = date(2026, 11, 22)
PAGE_SIZE = 40


def queries(latest: str) -> dict[str, str | None]:
    """The outstanding bills, the paid ones, and those changed since `latest` (about 150: what
    a mirror polling for changes asks)."""
    return {
        "outstanding": None,
        "status=Paid": "status=Paid",
        "changed since": f"sourceModifiedDate>{latest}",
    }


async def world(bills: int, paging: str) -> tuple[Sandbox, httpx.AsyncClient, str, str]:
    config = SandboxConfig(api_key=KEY, today=TODAY, paging=paging, page_size=PAGE_SIZE)  # type: ignore[arg-type]
    sandbox = Sandbox(config)
    await sandbox.start()
    added = max(0, bills - 30)
    await sandbox.seed_bulk(added)
    latest = (bulk_seed.modified_at(TODAY, max(0, added - 150))).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sandbox.demo is not None
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app),
        base_url="http://sandbox.bench",
        headers={"Authorization": "Basic " + base64.b64encode(KEY.encode()).decode()},
    )
    path = (
        f"/companies/{sandbox.demo.company_id}/connections/{sandbox.demo.connection_id}"
        "/payables/bills"
    )
    return sandbox, http, path, latest


async def page_cost(
    http: httpx.AsyncClient, path: str, query: str | None, *, second: bool, rounds: int
) -> tuple[float, int]:
    """Median milliseconds of a page, and the records it holds."""
    params = {"query": query} if query else {}
    if second:
        first = (await http.get(path, params=params)).json()
        token = first["pagination"].get("continuationToken")
        if token:
            params = {**params, "continuationToken": token}
    timings = []
    size = 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = await http.get(path, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.json()["results"])
    return statistics.median(timings), size


async def main(sizes: list[int], rounds: int) -> None:
    baseline: dict[tuple[str, str, bool], float] = {}
    print(f"{'bills':>7} {'paging':>7} {'query':>15} {'page':>6} {'ms':>8} {'ratio':>6} {'n':>4}")
    for bills in sizes:
        for paging in ("offset", "keyset"):
            started = time.perf_counter()
            sandbox, http, path, latest = await world(bills, paging)
            built = time.perf_counter() - started
            print(f"-- {bills} bills, {paging} paging: world built in {built:.1f} s")
            for name, query in queries(latest).items():
                for second in (False, True):
                    ms, size = await page_cost(http, path, query, second=second, rounds=rounds)
                    key = (paging, name, second)
                    baseline.setdefault(key, ms)
                    label = "second" if second else "first"
                    print(
                        f"{bills:>7} {paging:>7} {name:>15} {label:>6} {ms:>8.2f} "
                        f"{ms / baseline[key]:>6.2f} {size:>4}"
                    )
            await http.aclose()
            await sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 50000])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.rounds))
