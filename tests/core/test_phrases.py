"""What the core says before it knows its reader (a `Phrase`) reads in the reader's language
when shown, money and dates in their locale's format, and keeps its meaning when stored: a
payment's failure reason or a case's closing note written today in English is shown in French
tomorrow to a French reader, not as the English words it was stored in."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billpay.bills.cases import closed_note, not_pending_text, payment_view
from billpay.bills.policy import EffectivePolicy
from billpay.core.domain import CaseState, PaymentStatus
from billpay.core.errors import Denied, OutOfDate
from billpay.core.i18n import N_, Escaped, Money, Phrase, words
from billpay.digest.schedule import Subscription
from billpay.payments.words import failure_text
from billpay.slack.blocks.status import digest_line
from billpay.slack.explain import explain
from billpay.store.models import Payment

NBSP, NNBSP = "\u00a0", "\u202f"


def test_a_phrase_is_english_for_the_log_and_translated_for_its_reader() -> None:
    phrase = Phrase(
        N_("That is more than the {due} still due on this bill."), due=Money(Decimal("12.5"), "EUR")
    )
    assert str(phrase) == "That is more than the €12.50 still due on this bill."
    assert words("fr_FR")(phrase) == (
        f"C’est plus que le reste dû de 12,50{NBSP}€ sur cette facture."
    )
    assert words("en_GB")(phrase) == str(phrase)


def test_values_are_written_for_the_reader_and_plurals_chosen_in_their_language() -> None:
    scheduled = Phrase(
        N_("Payment of {amount} scheduled for {date}."),
        amount=Money(Decimal("3000"), "GBP"),
        date=date(2026, 12, 24),
    )
    assert words("en_GB")(scheduled) == "Payment of £3,000.00 scheduled for 24 Dec 2026."
    assert words("fr_FR")(scheduled) == (
        f"Règlement de 3{NNBSP}000,00{NBSP}GBP programmé pour le 24 déc. 2026."
    )
    two = Phrase.ngettext("{n} overdue bill", "{n} overdue bills", 2)
    one = Phrase.ngettext("{n} overdue bill", "{n} overdue bills", 1)
    assert (str(one), str(two)) == ("1 overdue bill", "2 overdue bills")
    assert words("fr_FR")(two) == "2 factures en retard"


def test_who_may_act_is_listed_in_the_readers_words() -> None:
    policy = EffectivePolicy(frozenset({"U1", "U2", "U3"}), frozenset(), None, True)
    denied = Denied(N_("Only {who} can link a channel to a company."), who=policy.who_may_approve())
    assert str(denied) == "Only <@U1>, <@U2> or <@U3> can link a channel to a company."
    said = explain(denied, N_("Nothing was changed."), "fr_FR").text
    assert said == "Seul <@U1>, <@U2> ou <@U3> peut relier un canal à une entreprise."


def test_the_boundary_words_every_kind_of_error_in_the_readers_language() -> None:
    assert explain(OutOfDate(), N_("Nothing was changed."), "fr-FR").text == (
        f"Ce bouton n’est plus à jour{NBSP}: relancez `/bills`."
    )
    fault = explain(RuntimeError("boom"), N_("Nothing was paid."), "fr_FR")
    assert fault.ours and fault.text == (
        f"Un problème est survenu de notre côté (référence `{fault.reference}`). Rien n’a été payé."
    )
    assert "boom" not in fault.text


def test_a_stored_failure_reason_is_translated_when_shown() -> None:
    cause = Phrase(N_("Bill Pay stopped before the accounting platform answered."))
    assert failure_text(cause.dump(), locale="fr_FR") == (
        "Bill Pay s’est arrêté avant la réponse de la plateforme comptable. Rien n’a été payé."
    )
    row = Payment(
        id=1,
        status=PaymentStatus.REFUSED,
        amount=Decimal("10.00"),
        currency="GBP",
        account_name="Current",
        account_currency="GBP",
        payment_date=date(2026, 11, 23),
        requested_by="U1",
        error=Phrase(
            N_("Not sent: {reason}"),
            reason=Phrase(
                N_("only {due} is still due now, less than the {amount} scheduled."),
                due=Money(Decimal("5"), "GBP"),
                amount=Money(Decimal("10"), "GBP"),
            ),
        ).dump(),
    )
    error = payment_view(row).error
    assert error is not None
    assert str(error) == "Not sent: only £5.00 is still due now, less than the £10.00 scheduled."
    assert words("fr_FR")(error) == (
        f"Non envoyé{NBSP}: le reste dû n’est plus que de 5,00{NBSP}GBP, moins que les "
        f"10,00{NBSP}GBP programmés."
    )


def test_a_closing_note_and_why_a_bill_cannot_be_acted_on_are_translated() -> None:
    note = Phrase.load(closed_note("Paid").dump())
    assert words("fr_FR")(note) == "Payée dans la plateforme comptable."
    draft = Phrase.load(closed_note("Draft").dump())
    assert str(draft) == "No longer outstanding in the accounting platform (draft)."
    assert words("fr_FR")(draft) == "Plus à payer dans la plateforme comptable (en brouillon)."

    class Closed:
        state = CaseState.CLOSED
        note = Phrase.load(closed_note("Void").dump())
        rejected_by = None

    said = not_pending_text(Closed())  # type: ignore[arg-type]
    assert str(said) == "This bill is closed: Void in the accounting platform."
    assert words("fr_FR")(said) == (
        f"Cette facture est close{NBSP}: Invalidée dans la plateforme comptable."
    )


def test_text_stored_as_words_before_phrases_reads_as_it_was() -> None:
    assert Phrase.load("The platform said no.") == "The platform said no."
    assert words("fr_FR")(Phrase.load("The platform said no.")) == "The platform said no."
    assert words("fr_FR")(Phrase.load("Nothing was paid.")) == "Rien n’a été payé."


@given(
    said=st.text(max_size=80),
    amount=st.decimals(min_value=0, max_value=10**9, places=2),
    currency=st.sampled_from(["GBP", "EUR", "JPY", "BHD"]),
)
def test_a_stored_phrase_reads_back_the_same_whatever_its_values(
    said: str, amount: Decimal, currency: str
) -> None:
    phrase = Phrase(
        N_("{cause} Nothing was paid."),
        cause=Escaped(Phrase(N_("The accounting platform refused it: {said}"), said=said)),
    )
    again = Phrase.load(phrase.dump())
    assert again == phrase
    for locale in ("en_GB", "fr_FR"):
        assert words(locale)(again) == words(locale)(phrase)
        assert "<" not in words(locale)(again).replace("&lt;", "")
    money = Phrase(N_("Enter the amount to pay, up to {due}."), due=Money(amount, currency))
    assert words("fr_FR")(Phrase.load(money.dump())) == words("fr_FR")(money)


@given(st.text(max_size=200))
def test_any_stored_text_loads_without_failing(text: str) -> None:
    loaded = Phrase.load(text)
    assert isinstance(words("fr_FR")(loaded), str)


def test_a_phrase_given_as_a_value_is_translated_with_the_sentence() -> None:
    note = Phrase.load(closed_note("Paid").dump())
    _ = words("fr_FR")
    assert _("This bill is closed: {why}", why=note) == (
        f"Cette facture est close{NBSP}: Payée dans la plateforme comptable."
    )


def test_why_a_digest_was_paused_reads_in_the_readers_language() -> None:
    subscription = Subscription(
        id=1,
        link_id=1,
        team_id="T0",
        channel_id="C0FIN",
        company_id="c",
        connection_id="x",
        company_name="Larkspur",
        base_currency="GBP",
        local_time=time(9, 0),
        time_zone="Europe/Paris",
        paused=True,
        paused_reason="the channel is archived",  # as the scheduler keeps it: a message id
    )
    assert "en pause" in digest_line(subscription, locale="fr_FR")
    assert f"{NBSP}: le canal est archivé." in digest_line(subscription, locale="fr_FR")
    assert ": the channel is archived." in digest_line(subscription, locale="en_GB")
