"""Stores: SQLite by default, PostgreSQL by URL. ``open_store(url)`` picks one."""

from __future__ import annotations

from modelswap.errors import StoreError
from modelswap.store.base import ArmCount, CachedVerdict, Store, StoreUnavailable

__all__ = ["ArmCount", "CachedVerdict", "Store", "StoreUnavailable", "open_store"]


def open_store(url: str) -> Store:
    """Open (and migrate) the store at ``url``: ``sqlite:///path.db`` or ``postgresql://...``."""
    if url.startswith("sqlite:///") or url == "sqlite://":
        from modelswap.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///") if url != "sqlite://" else ":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        from modelswap.store.postgres import PostgresStore

        return PostgresStore(url)
    raise StoreError(f"store {url!r}: unsupported URL; expected sqlite:///path.db or postgresql://user@host:port/db")
