"""Tests for the sandbox fake of the payables API."""
