"""Slack's request signing: `SignedRequest`, an HTTP request from Slack (body bytes and headers)
signed with Slack's v0 scheme (`X-Slack-Request-Timestamp`, `X-Slack-Signature`), which can be
re-signed at another time, re-signed with another signature or tampered with after signing, to
test an app's checks. `slack_playground.inbound` builds the payloads that are signed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

__all__ = ["FORM", "JSON", "SignedRequest", "signed"]


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request from Slack: body bytes plus the signed headers."""

    body: bytes
    headers: dict[str, str]
    payload: dict[str, Any] = field(default_factory=dict, compare=False)
    signing_secret: str = field(default="", repr=False, compare=False)

    @property
    def timestamp(self) -> int:
        return int(self.headers["X-Slack-Request-Timestamp"])

    @property
    def text(self) -> str:
        return self.body.decode()

    def with_timestamp(self, timestamp: int) -> SignedRequest:
        """The same body, correctly signed at another time (e.g. too old: a replay)."""
        return signed(
            self.body, self.headers["Content-Type"], self.payload, self.signing_secret, timestamp
        )

    def with_signature(self, signature: str) -> SignedRequest:
        return replace(self, headers={**self.headers, "X-Slack-Signature": signature})

    def tampered(self) -> SignedRequest:
        """The body altered after signing (still parseable), headers unchanged."""
        extra = b"&tampered=1" if self.headers["Content-Type"] == FORM else b" "
        return replace(self, body=self.body + extra)


def signed(
    body: bytes, content_type: str, payload: dict[str, Any], secret: str, timestamp: int
) -> SignedRequest:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature or "",
    }
    return SignedRequest(body=body, headers=headers, payload=payload, signing_secret=secret)
