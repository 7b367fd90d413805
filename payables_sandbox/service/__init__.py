"""The sandbox's business rules: what each operation of the payables API checks and changes, one
module per resource.

Every operation takes an open session (one transaction, opened by the route) and either returns
the API's JSON shape or raises `ApiError`. `listing` holds what the list operations share: the
query language's checks, continuation tokens and numbered pages. Each platform's own limits come
from `payables_sandbox.platforms`.
"""
