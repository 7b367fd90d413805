"""Suppliers and new bills from Slack: looking suppliers up, creating and editing them, new
bills with their invoice attached, and new bank accounts."""
