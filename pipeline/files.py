"""Kept for imports from before core/: the atomic writers live in core/files.py."""

from core.files import atomic_path, write_bytes_atomic

__all__ = ["atomic_path", "write_bytes_atomic"]
