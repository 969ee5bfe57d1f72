"""Receiving one document upload without holding it in memory, and checking what it is.

The size limit is enforced twice: a declared Content-Length over the limit is refused before
a byte is read, and the bytes are counted while they stream to a temporary file, so a client
that lies (or uses chunked encoding) is cut off as soon as it passes the limit. The type comes
from the file's first bytes, never from its name or the browser's declared type.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from northbound.portal.applications.storage import DocumentStore

# Room for the multipart framing and the small form fields around the file.
FORM_OVERHEAD = 16 * 1024
MAX_FIELD_BYTES = 1024

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

FILE_KINDS: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
}
"""How each accepted media type reads to people (English; pages translate it)."""


def sniff(head: bytes) -> str | None:
    """The media type the first bytes prove, or None for anything we do not accept."""
    for signature, media_type in SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def safe_filename(name: str) -> str:
    """The last path segment, printable characters only, at most 100 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        c for c in unicodedata.normalize("NFC", base) if c.isprintable() and c not in '<>:"|?*'
    )
    return cleaned.strip()[:100] or "document"


class UploadTooLarge(Exception):
    pass


class BadUpload(Exception):
    pass


@dataclass
class ReceivedUpload:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    temp_path: Path | None = None
    size: int = 0
    sha256: str = ""
    head: bytes = b""

    def discard(self) -> None:
        if self.temp_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.temp_path.unlink()
            self.temp_path = None


class _Receiver:
    """python-multipart callbacks that stream the one file part to disk."""

    def __init__(self, store: DocumentStore, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.result = ReceivedUpload()
        self._digest = hashlib.sha256()
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field_name = ""
        self._field_value = bytearray()
        self._fd: int | None = None
        self._in_file = False

    def on_part_begin(self) -> None:
        self._headers = {}
        self._field_value = bytearray()
        self._in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._field_name = options.get(b"name", b"").decode("utf-8", "replace")[:64]
        if b"filename" in options:
            if self._fd is not None or self.result.temp_path is not None:
                raise BadUpload("only one file per upload")
            self._in_file = True
            self.result.filename = safe_filename(options[b"filename"].decode("utf-8", "replace"))
            self._fd, self.result.temp_path = self.store.new_temp_file()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._in_file and self._fd is not None:
            self.result.size += len(chunk)
            if self.result.size > self.max_bytes:
                raise UploadTooLarge()
            if len(self.result.head) < 16:
                self.result.head += chunk[: 16 - len(self.result.head)]
            self._digest.update(chunk)
            os.write(self._fd, chunk)
        else:
            self._field_value += chunk
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise BadUpload("form field too long")

    def on_part_end(self) -> None:
        if self._in_file and self._fd is not None:
            os.close(self._fd)
            self._fd = None
        elif self._field_name:
            self.result.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
        self._in_file = False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.result.sha256 = self._digest.hexdigest()


async def receive_upload(request: Request, store: DocumentStore, max_bytes: int) -> ReceivedUpload:
    """Stream a multipart/form-data request with at most one file into a temporary file.

    Raises 413 for too large and 400 for a malformed body; the temporary file is removed on
    any error, so nothing half-received stays behind.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise HTTPException(400, "Send the document with the upload form.")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise HTTPException(400, "The request is malformed.")
        if int(declared) > max_bytes + FORM_OVERHEAD:
            raise HTTPException(413, "The document is larger than we accept.")
    receiver = _Receiver(store, max_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": receiver.on_part_begin,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
        },
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes + FORM_OVERHEAD:
                raise UploadTooLarge()
            parser.write(chunk)
        parser.finalize()
    except UploadTooLarge as exc:
        receiver.close()
        receiver.result.discard()
        raise HTTPException(413, "The document is larger than we accept.") from exc
    except (BadUpload, MultipartParseError, UnicodeError, ValueError) as exc:
        receiver.close()
        receiver.result.discard()
        raise HTTPException(400, "The upload could not be read.") from exc
    except BaseException:
        # A client that hangs up mid-upload leaves nothing behind either.
        receiver.close()
        receiver.result.discard()
        raise
    receiver.close()
    return receiver.result
