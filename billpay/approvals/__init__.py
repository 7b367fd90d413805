"""Approvals: who decided what on a bill, and the reminders that keep decisions from waiting."""
