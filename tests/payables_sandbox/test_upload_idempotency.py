"""An attachment upload carries an `Idempotency-Key` like any POST: the docs ask for it on every
POST, though the spec declares it on five operations and not on upload-bill-attachment. A
repeat with the same file replays the answer, another file under the key is a 422, and an
upload still in progress is a 409: one attachment, however many repeats."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import bill_json

PDF = b"%PDF-1.4 invoice 1138\n"


def payables(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


def invoice(content: bytes = PDF, name: str = "invoice.pdf") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content, "application/pdf")}


async def attachments_url(http: httpx.AsyncClient, demo: DemoIds) -> str:
    bill = await bill_json(http, payables(demo), "KC-40019")
    return f"{payables(demo)}/bills/{bill['id']}/attachments"


async def listed(http: httpx.AsyncClient, url: str) -> list[str]:
    return [a["id"] for a in (await http.get(url)).json()]


async def test_a_repeated_upload_replays_its_answer_and_attaches_once(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    url, key = await attachments_url(http, demo), {"Idempotency-Key": str(uuid.uuid4())}
    first = await http.post(url, files=invoice(), headers=key)
    again = await http.post(url, files=invoice(), headers=key)  # another multipart boundary
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await listed(http, url) == [first.json()["id"]]

    other = await http.post(url, files=invoice(b"%PDF-1.4 another\n"), headers=key)
    assert other.status_code == 422 and "different request" in other.json()["error"]
    renamed = await http.post(url, files=invoice(name="copy.pdf"), headers=key)
    assert renamed.status_code == 422
    assert await listed(http, url) == [first.json()["id"]]


async def test_an_upload_in_progress_is_a_409_to_its_key(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    url, key = await attachments_url(http, demo), {"Idempotency-Key": str(uuid.uuid4())}
    release = sandbox.faults.hold_next_upload()
    first = asyncio.create_task(http.post(url, files=invoice(), headers=key))
    await release.reached()
    busy = await http.post(url, files=invoice(), headers=key)
    assert busy.status_code == 409 and "still in progress" in busy.json()["error"]
    release()
    assert (await first).status_code == 201
    assert len(await listed(http, url)) == 1


async def test_an_upload_can_land_and_then_answer_500(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    url, key = await attachments_url(http, demo), {"Idempotency-Key": str(uuid.uuid4())}
    bill_id = url.split("/bills/")[1].split("/")[0]
    sandbox.faults.fail_next_upload(bill_id=bill_id, after_write=True)
    failed = await http.post(url, files=invoice(), headers=key)
    assert failed.status_code == 500
    replayed = await http.post(url, files=invoice(), headers=key)
    assert replayed.status_code == 500 and replayed.headers["Idempotent-Replayed"] == "true"
    (attached,) = (await http.get(url)).json()  # there all the same, once
    assert (attached["name"], attached["fileSize"]) == ("invoice.pdf", len(PDF))
