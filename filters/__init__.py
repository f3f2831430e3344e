"""Pair filters: each returns (keep, reason). Presets combine them by name (see presets.py)."""
