"""Benchmarks that print figures and ratios; they assert nothing about speed."""
