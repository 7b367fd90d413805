"""The policy form read into a policy: the threshold as the reader's locale writes amounts,
each mistake on its field, nothing a person (or a tampered form) types making it fail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from billpay.bills.policy_store import PolicyChoice, read_policy_form


def _read(**typed: Any) -> PolicyChoice | dict[str, Any]:
    form: dict[str, Any] = {
        "approvers": ["U0BEN"],
        "approver_group": None,
        "payers": [],
        "threshold": "",
        "approver_may_pay": False,
        "reminder_hours": "24",
        "currency": "GBP",
        "locale": "en_GB",
    }
    return read_policy_form(**{**form, **typed})  # type: ignore[return-value]


def test_the_threshold_is_read_as_the_readers_locale_writes_it() -> None:
    english = _read(threshold="£2,500.50")
    french = _read(threshold="2 500,50 £", locale="fr_FR")
    assert isinstance(english, PolicyChoice) and isinstance(french, PolicyChoice)
    assert english.dual_approval_threshold == french.dual_approval_threshold == Decimal("2500.50")
    assert set(_read(threshold="12,50")) == {"threshold"}  # en_GB: no decimal comma
    assert set(_read(threshold="2.505")) == {"threshold"}  # pence have two places
    assert set(_read(threshold="-5")) == {"threshold"}


def test_a_group_not_offered_is_refused() -> None:
    assert set(_read(approver_group="S0FIN; DROP")) == {"group"}
    chosen = _read(approver_group="S0FIN")
    assert isinstance(chosen, PolicyChoice) and chosen.approver_group == "S0FIN"


@given(st.text(max_size=80), st.text(max_size=8), st.sampled_from(["en_GB", "fr_FR"]))
def test_anything_typed_reads_as_a_policy_or_mistakes_on_fields(
    threshold: str, hours: str, locale: str
) -> None:
    read = _read(threshold=threshold, reminder_hours=hours, locale=locale)
    if isinstance(read, dict):
        assert set(read) <= {"threshold", "reminder"} and read
    else:
        limit = read.dual_approval_threshold
        assert limit is None or (limit >= 0 and limit == limit.quantize(Decimal("0.01")))
        assert 0 <= read.reminder_hours <= 720
