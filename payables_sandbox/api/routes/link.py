"""The sandbox's Link flow: the page a connection's `linkUrl` opens, where the company authorises
the connection, which then becomes Linked (docs/payables/_create-connection.md: "Direct your
customer to the linkUrl ... to authorize this connection").

`GET /link/companies/{companyId}/connections/{connectionId}/start` shows the platform and an
**Authorise** button; the button POSTs the form to `.../authorise`, which links the connection
and shows the result. A person can open the page in a browser (`billpay sandbox`), and a test
can do the same with two HTTP requests. Like Codat's Link, the pages need no API key: the link
itself is what the company is given. `GET /link/companies/{companyId}` (the company's
`redirect`) lists its connections with their links.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store
from payables_sandbox.api.deps import ReadSession, Writes
from payables_sandbox.service import companies, connections

PREFIX = "/link"

router = APIRouter()


@router.get("/companies/{companyId}")
async def company_page(companyId: str, session: ReadSession) -> HTMLResponse:
    company = await companies.get_company_row(session, companyId)
    listed = await connections.list_connections(session, companyId)
    items = "".join(
        f"<li>{escape(c['platformName'])}: {escape(c['status'])} · "
        f'<a href="{escape(c["linkUrl"])}">open</a></li>'
        for c in listed
    )
    return _page(company.name, f"<ul>{items or '<li>No connections yet.</li>'}</ul>")


@router.get("/companies/{companyId}/connections/{connectionId}/start")
async def start(companyId: str, connectionId: str, session: ReadSession) -> HTMLResponse:
    company, row = await _company_and_connection(session, companyId, connectionId)
    if row.status == "Linked":
        return _page(
            f"{row.platform_name} is connected",
            f"<p>{escape(company.name)} already shares its {escape(row.platform_name)} data.</p>",
        )
    action = f"{PREFIX}/companies/{companyId}/connections/{connectionId}/authorise"
    return _page(
        f"Connect {row.platform_name}",
        f"<p>{escape(company.name)} is asked to share its {escape(row.platform_name)} "
        f"accounting data (connection status: {escape(row.status)}).</p>"
        f'<form method="post" action="{escape(action)}">'
        '<button type="submit" name="decision" value="authorise">Authorise</button></form>',
    )


@router.post("/companies/{companyId}/connections/{connectionId}/authorise")
async def authorise(companyId: str, connectionId: str, writes: Writes) -> HTMLResponse:
    async def link(session: AsyncSession) -> str:
        await companies.get_company_row(session, companyId)
        row = await connections.authorise_connection(session, companyId, connectionId)
        return row.platform_name

    name = await writes.run(link)
    return _page(
        f"{name} is connected", "<p>The connection is Linked. You can close this page.</p>"
    )


async def _company_and_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> tuple[store.Company, store.Connection]:
    company = await companies.get_company_row(session, company_id)
    row = await connections.get_connection_row(session, company_id, connection_id)
    return company, row


def _page(title: str, body: str) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html)
