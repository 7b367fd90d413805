"""Paying bills: the Pay form and its words, the rules, sending, settling payments in doubt,
and scheduled payments."""
