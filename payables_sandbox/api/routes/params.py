"""Query parameters the list routes share, declared once with the API's spellings.

At module level, so that FastAPI can resolve the routes' postponed annotations.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

PAYABLES = "/companies/{companyId}/connections/{connectionId}/payables"

Token = Annotated[str | None, Query(alias="continuationToken")]
StatusQuery = Annotated[str | None, Query(alias="statusQuery")]
PageSize = Annotated[int, Query(alias="pageSize")]
OrderBy = Annotated[str | None, Query(alias="orderBy")]
