"""What a person types in the supplier, new bill and bank account forms: each mistake gets its
own field's words, and whatever is typed either reads as a valid request or is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.invoices.files import InvoiceProblem, check
from billpay.suppliers.rules import (
    BillContext,
    BillForm,
    BillOptions,
    Choice,
    RawLine,
    estimate,
    read_bank_account_form,
    read_bill_form,
    read_supplier_form,
    reference_max,
)

KEY = "0b5e7a4e-4a0e-4b8e-9d6e-0a2b8c1d3e4f"
OPTIONS = BillOptions(
    [Choice("acc-stationery", "6400 · Office stationery")],
    [Choice("vat-20", "Standard rate VAT 20%", Decimal(20)), Choice("zero", "Zero rated")],
    21,
    "QuickBooks Online",
)


def context(locale: str = "en_GB") -> BillContext:
    return OPTIONS.context(locale, KEY)


def line(amount: str | None = "100.00", **changes: str | None) -> RawLine:
    fields = {
        "description": None,
        "amount": amount,
        "quantity": None,
        "account_id": "acc-stationery",
        "tax_rate_id": "vat-20",
    }
    return RawLine(**{**fields, **changes})  # type: ignore[arg-type]


def bill(*lines: RawLine, **changes: str | None) -> BillForm | dict[str, str]:
    fields: dict[str, str | None] = {
        "supplier_id": "sup-1",
        "reference": "INV-1042",
        "issue_date": "2026-11-20",
        "due_date": "2026-12-20",
        "currency": "GBP",
    }
    return read_bill_form(context(), lines=list(lines), **{**fields, **changes})  # type: ignore[arg-type]


def test_a_valid_bill_has_its_tax_from_the_rate() -> None:
    form = bill(line("100.00"), line("25.50", quantity="2", tax_rate_id=None))
    assert isinstance(form, BillForm)
    assert form.totals.net == Decimal("151.00") and form.totals.tax == Decimal("20.00")
    assert form.totals.total == Decimal("171.00")
    assert form.idempotency_key == KEY


def test_each_mistake_is_on_its_own_field() -> None:
    errors = bill(
        line("0"),
        line("-5"),
        line("twelve"),
        line("1.005"),
        line("10", account_id="forged-account"),
        line("10", tax_rate_id="forged-rate"),
        line("10", quantity="0"),
        due_date="2026-11-19",
        reference="R" * 22,
        supplier_id="",
    )
    assert isinstance(errors, dict)
    assert "more than zero" in errors["amount:0"] and "more than zero" in errors["amount:1"]
    assert "not an amount" in errors["amount:2"]
    assert "2 decimal places" in errors["amount:3"]
    assert "expense account" in errors["account:4"]
    assert "tax rate" in errors["tax:5"]
    assert "quantity" in errors["quantity:6"]
    assert "before the issue date" in errors["due_date"]
    assert "up to 21 characters (this one has 22)" in errors["reference"]
    assert errors["supplier"] == "Choose the supplier."


def test_a_bill_needs_a_line() -> None:
    errors = bill(RawLine(None, None, None, None, None))
    assert isinstance(errors, dict) and "at least one line" in errors["amount:0"]


def test_a_line_added_and_left_as_drawn_is_left_out() -> None:
    # Add line draws quantity 1 (and the tax rate may be picked): nothing more is a line.
    for unused in (
        RawLine(None, None, "1", None, None),
        RawLine(None, "", " 1 ", None, "vat-20"),
        RawLine("", None, None, None, "zero"),
    ):
        form = bill(line("100.00"), unused)
        assert isinstance(form, BillForm), form
        assert len(form.lines) == 1 and form.totals.total == Decimal("120.00")
    # A line with anything more is read, and its gaps are refused on its own fields.
    errors = bill(line("100.00"), RawLine(None, None, "3", None, None))
    assert isinstance(errors, dict) and set(errors) == {"amount:1", "account:1"}
    errors = bill(line("100.00"), RawLine("Paper", None, "1", None, None))
    assert isinstance(errors, dict) and set(errors) == {"amount:1", "account:1"}


def test_amounts_are_read_the_way_the_reader_writes_them() -> None:
    french = read_bill_form(
        context("fr_FR"),
        supplier_id="sup-1",
        reference=None,
        issue_date="2026-11-20",
        due_date="2026-11-20",
        currency="EUR",
        lines=[line("1 250,50")],
    )
    assert isinstance(french, BillForm) and french.lines[0].unit_amount == Decimal("1250.50")
    errors = bill(line("1,000"), currency="EUR")  # en_GB reads 1,000 as a thousand: fine
    assert isinstance(errors, BillForm)


def test_reference_limits_follow_the_platform() -> None:
    assert reference_max("QuickBooks Online") == 21
    assert reference_max("Oracle NetSuite") == 45
    assert reference_max("Zoho Books") == 50
    assert reference_max("Sage Intacct") == 100
    assert reference_max("Xero") == 255 and reference_max(None) == 255


@given(
    amount=st.text(max_size=40),
    quantity=st.one_of(st.none(), st.text(max_size=20)),
    account=st.sampled_from(["acc-stationery", "", "x" * 200, "<!channel>"]),
    tax=st.one_of(st.none(), st.sampled_from(["vat-20", "zero", "%", "' OR 1=1"])),
    reference=st.one_of(st.none(), st.text(max_size=40)),
)
def test_whatever_is_typed_is_either_a_valid_bill_or_refused(
    amount: str, quantity: str | None, account: str, tax: str | None, reference: str | None
) -> None:
    raw = line(amount, quantity=quantity, account_id=account, tax_rate_id=tax)
    form = bill(raw, reference=reference)
    shown = estimate([raw], "GBP", context())  # the running totals never fail on what is typed
    if isinstance(form, BillForm):
        assert shown == form.totals  # the form showed what is created
        (read,) = form.lines
        assert read.unit_amount > 0 and read.quantity > 0
        assert read.account.id == "acc-stationery"
        assert read.tax_rate is None or read.tax_rate.id in ("vat-20", "zero")
        assert form.reference is None or len(form.reference) <= 21
        assert form.totals.total > 0
    else:
        assert form and all(isinstance(text, str) and text for text in form.values())


def test_supplier_form() -> None:
    good = read_supplier_form(
        name="  Zephyr Print ",
        contact_name="Zoë",
        email="accounts@zephyr.example",
        phone="+44 (0)20 7946 0000",
        address="1 Quay St\nDublin",
        currency="eur",
        locale="en_GB",
    )
    assert not isinstance(good, dict) and good.name == "Zephyr Print" and good.currency == "EUR"
    bad = read_supplier_form(
        name="",
        contact_name=None,
        email="zephyr@",
        phone="call me",
        address=None,
        currency="XYZ",
        locale="fr_FR",
    )
    assert isinstance(bad, dict)
    assert bad["name"] == "Saisissez le nom du fournisseur."
    assert set(bad) == {"name", "email", "phone", "currency"}


def test_bank_account_form() -> None:
    def read(number: str, sort: str | None = None, currency: str = "GBP") -> object:
        return read_bank_account_form(
            name="Float",
            currency=currency,
            account_number=number,
            sort_code=sort,
            nominal_code=None,
            locale="en_GB",
        )

    uk = read("0120 0440", "505050")
    assert (
        not isinstance(uk, dict) and uk.sort_code == "50-50-50" and uk.account_number == "01200440"
    )
    iban = read("gb29 nwbk 6016 1331 9268 19", currency="EUR")
    assert not isinstance(iban, dict) and iban.account_number == "GB29NWBK60161331926819"
    assert "check digits" in read("GB29NWBK60161331926818")["account_number"]  # type: ignore[index]
    assert "GBP accounts only" in read("01200440", "50-50-50", "EUR")["sort_code"]  # type: ignore[index]
    assert "6 to 20 digits" in read("12ab")["account_number"]  # type: ignore[index]


def test_invoice_files_each_platform_takes() -> None:
    assert check("INV-1.PDF", 10, "Xero") == "application/pdf"
    assert check("scan.jpeg", 10, "Codat Sandbox") == "image/jpeg"
    assert check("scan.pdf", 21 * 1024 * 1024, "QuickBooks Online") == "application/pdf"
    for name, size, platform in (
        ("scan.jpg", 10, "Oracle NetSuite"),  # NetSuite lists PJPG, not JPG
        ("scan.tiff", 10, "QuickBooks Online"),  # QuickBooks lists TIF, not TIFF
        ("setup.exe", 10, "Xero"),
        ("no-extension", 10, "Xero"),
        ("empty.pdf", 0, "Xero"),
        ("big.pdf", 4 * 1024 * 1024 + 1, "Xero"),
        ("huge.pdf", 100 * 1024 * 1024 + 1, "QuickBooks Online"),
        ("huge.pdf", 100 * 1024 * 1024 + 1, "Codat Sandbox"),  # no rule named: 100 MB
    ):
        try:
            check(name, size, platform)
        except InvoiceProblem:
            continue
        raise AssertionError(f"{name} ({size} bytes) should be refused on {platform}")


@pytest.mark.parametrize(
    ("amount", "quantity"), [("100000000000000000000000000", None), ("9000000", "999999")]
)
def test_an_amount_too_large_to_round_is_refused_and_counts_for_nothing(
    amount: str, quantity: str | None
) -> None:
    typed = line(amount, quantity=quantity)
    assert estimate([typed], "GBP", context()).net == 0
    errors = bill(typed)
    assert isinstance(errors, dict)
    assert errors["amount:0"] == "The bill’s total is too large."
