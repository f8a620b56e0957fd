"""Reusable widgets of the operator UI (no business logic: they display what `appliance` returns)."""
