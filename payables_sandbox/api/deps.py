"""The typed dependencies the sandbox's routes take.

- The running sandbox's parts: `ConfigDep`, `DatabaseDep`, `FaultsDep` (read at each request,
  so a test that changes `sandbox.config` is heard at once).
- What every operation of the API goes through: `authorise` (Codat's Basic credentials, a 401
  otherwise) and `operation_fault` (an injected 402, 403 or syncing 409 for the operation).
- Database sessions: `ReadSession` (closed before the answer leaves) and `Writes` (one
  transaction per operation, committed before the answer is sent).
- What a path names: `CompanyRow`, `ConnectionRow`, and `ReadableConnection` (the connection
  payables data is read from, which must be or have been linked); `UnseenPayments`, the bill
  payments a read cannot see yet. Writes find their (linked) connection in their transaction.
- Request bodies: `json_body(Model)` reads the JSON body with exact decimals and validates it
  as the API does (a 400 listing each field and what is wrong).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import clock, schemas, store
from payables_sandbox.announce import Announcer
from payables_sandbox.api.responses import ApiResponse, read_json
from payables_sandbox.clock import SandboxClock
from payables_sandbox.config import SandboxConfig
from payables_sandbox.database import Database
from payables_sandbox.errors import ApiError, operation_error
from payables_sandbox.faults import Faults
from payables_sandbox.platforms import platform
from payables_sandbox.quota import Quota
from payables_sandbox.service import companies, connections, reads

Body = TypeVar("Body", bound=BaseModel)
Result = TypeVar("Result")


class Running(Protocol):
    """What the routes read of the running sandbox (`payables_sandbox.app.Sandbox`), which the
    app holds in its state: read at each request, as a test may change them."""

    config: SandboxConfig
    db: Database
    faults: Faults
    clock: SandboxClock
    quota: Quota
    announcer: Announcer

    async def active_companies(self) -> int: ...


def _sandbox(request: Request) -> Running:
    sandbox: Running = request.app.state.sandbox
    return sandbox


async def get_config(request: Request) -> SandboxConfig:
    return _sandbox(request).config


async def get_database(request: Request) -> Database:
    return _sandbox(request).db


async def get_faults(request: Request) -> Faults:
    return _sandbox(request).faults


ConfigDep = Annotated[SandboxConfig, Depends(get_config)]
DatabaseDep = Annotated[Database, Depends(get_database)]
FaultsDep = Annotated[Faults, Depends(get_faults)]


# ---------------------------------------------------------------- every operation


def basic_credentials_match(authorization: str | None, api_key: str) -> bool:
    """True for `Basic <base64 of the API key>` (docs/using-the-api/authentication.md)."""
    if not authorization:
        return False
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(decoded.encode(), api_key.encode())


async def authorise(
    config: ConfigDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    if not basic_credentials_match(authorization, config.api_key):
        # Codat's 401 body, as errors.md and the spec's Unauthorized example show it.
        raise ApiError(401, "Unauthorized", can_be_retried="Unknown")


async def operation_fault(request: Request, faults: FaultsDep) -> None:
    """Answer with the fault injected for this operation (named by its operationId), if any."""
    route = request.scope.get("route")
    operation = getattr(route, "operation_id", None)
    status = faults.operation_fault(operation) if operation else None
    if status is not None:
        raise operation_error(status)


# ---------------------------------------------------------------- database


async def read_session(db: DatabaseDep) -> AsyncIterator[AsyncSession]:
    async with db.read() as session:
        yield session


# Scoped to the route function: the session is closed before the answer is sent, as it was when
# each route opened its own.
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]


class Transactions:
    """Writes, each in one transaction that is committed before the answer is sent.
    Idempotency keys are handled around the whole request, by `IdempotencyMiddleware`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def run(self, work: Callable[[AsyncSession], Awaitable[Result]]) -> Result:
        """Run `work` in one write transaction; what it returns once committed."""
        async with self.db.write() as session:
            return await work(session)

    async def respond(
        self, work: Callable[[AsyncSession], Awaitable[Any]], *, status_code: int = 200
    ) -> Response:
        """Run `work` in one write transaction and answer with what it returns."""
        return ApiResponse(await self.run(work), status_code=status_code)

    async def on_connection(
        self,
        company_id: str,
        connection_id: str,
        operation: Callable[[AsyncSession, store.Connection], Awaitable[Any]],
        *,
        status_code: int = 200,
    ) -> Response:
        """One write on a linked connection, found in the same transaction."""

        async def work(session: AsyncSession) -> Any:
            connection = await connections.linked_connection(session, company_id, connection_id)
            return await operation(session, connection)

        return await self.respond(work, status_code=status_code)


async def transactions(db: DatabaseDep) -> Transactions:
    return Transactions(db)


Writes = Annotated[Transactions, Depends(transactions)]


# ---------------------------------------------------------------- what a path names


async def company_row(session: ReadSession, companyId: str) -> store.Company:
    return await companies.get_company_row(session, companyId)


async def connection_row(
    session: ReadSession, companyId: str, connectionId: str
) -> store.Connection:
    return await connections.get_connection_row(session, companyId, connectionId)


async def readable_connection(
    session: ReadSession, companyId: str, connectionId: str
) -> store.Connection:
    return await connections.readable_connection(session, companyId, connectionId)


CompanyRow = Annotated[store.Company, Depends(company_row)]
ConnectionRow = Annotated[store.Connection, Depends(connection_row)]
ReadableConnection = Annotated[store.Connection, Depends(readable_connection)]


async def unseen_payments(
    session: ReadSession, connection: ReadableConnection, config: ConfigDep
) -> reads.Unseen:
    approvals = config.payments_need_approval or platform(connection.platform_key).approves_payments
    if not config.payment_read_lag and not config.platform_read_lag and not approvals:
        return reads.Unseen()  # every payment is seen at once: nothing to look up
    return await reads.unseen_payments(
        session, connection, lag=config.payment_read_lag, now=clock.now()
    )


# The payments a read made now cannot see (`service.reads`), for lists of bills and suppliers.
UnseenPayments = Annotated[reads.Unseen, Depends(unseen_payments)]


# ---------------------------------------------------------------- request bodies


def json_body(model: type[Body]) -> Callable[[Request], Awaitable[Body]]:
    """A dependency giving the request's JSON body validated as `model`."""

    async def parse(request: Request) -> Body:
        return schemas.validate_body(model, await read_json(request))

    return parse
