"""Tests for the payables client and its helpers."""
