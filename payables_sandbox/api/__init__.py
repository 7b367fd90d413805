"""The sandbox's HTTP surface, in the shape of a FastAPI application's `api` package:

- `main`: `api_router`, the payables API's 25 operations, each resource's router behind the
  API key and the injected operation faults;
- `routes/`: one module per resource (companies, connections, company information, mapping
  options, bills, bill payments, bill attachments, suppliers, bank accounts), plus `link`, the
  Link pages a company authorises a connection on;
- `deps`: the typed dependencies the routes take (credentials, the configuration, database
  sessions and writes, the company or connection a path names, request bodies);
- `responses`: JSON answers with exact decimals, and pages of continuation-token lists;
- `gateway`: what answers before the API does (injected gateway faults, rate-limit headers);
- `error_handlers`: every failure answered as the API's `ErrorMessage`.

`payables_sandbox.app` assembles them into the application.
"""
