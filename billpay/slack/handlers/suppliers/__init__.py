"""Suppliers and what is created from Slack for them: looking a supplier up (`lookup`), the
supplier form (`supplier_form`), the new bill form (`new_bill`) and the bank account form
(`bank_account`). Each module registers its own listeners."""
