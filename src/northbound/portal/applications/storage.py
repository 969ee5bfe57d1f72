"""Where uploaded documents live: one small interface, a local-disk implementation.

An object-storage implementation (S3 and the like) would offer the same three operations.
A file is made durable (fsync) before the database row that points at it is committed, so a
row never points at a missing file; a crash in between leaves only an unreferenced file.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

CHUNK = 64 * 1024


class DocumentStore(Protocol):
    def new_temp_file(self) -> tuple[int, Path]:
        """An open file descriptor and path for an upload being received."""

    async def keep(self, temp_path: Path) -> str:
        """Make a received file permanent; returns its storage key."""

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, in chunks."""

    async def delete(self, key: str) -> None: ...


class LocalDiskStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"

    def new_temp_file(self) -> tuple[int, Path]:
        self.incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        return fd, Path(name)

    def _path(self, key: str) -> Path:
        if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.root / key[:2] / key

    def _keep(self, temp_path: Path) -> str:
        key = secrets.token_hex(16)
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with temp_path.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp_path, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return key

    async def keep(self, temp_path: Path) -> str:
        return await asyncio.to_thread(self._keep, temp_path)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, True)
