"""The sandbox tests' fixtures: an HTTP client that authenticates as the sandbox's own key, over
the app in process, and the seeded demo company's ids."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest

from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import SANDBOX_KEY

AUTH = {"Authorization": "Basic " + base64.b64encode(SANDBOX_KEY.encode()).decode()}


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sandbox", headers=AUTH
    ) as client:
        yield client


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoIds:
    assert sandbox.demo is not None
    return sandbox.demo
