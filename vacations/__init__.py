"""Vacation stays: QF rate tables per season and the Prix mini lottery (§8)."""
