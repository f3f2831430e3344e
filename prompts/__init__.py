"""The five generation templates (`*.toml`), package data read through importlib.resources."""
