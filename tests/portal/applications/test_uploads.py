"""Document uploads: type by content, size limit while streaming, storage, retries."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from northbound.portal.applications.models import Document
from northbound.portal.applications.uploads import safe_filename, sniff
from tests.support.accounts import EXECUTABLE, PDF, PNG, sign_up, start, tokens, upload
from tests.support.text import found

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 100


async def _documents(app: FastAPI) -> list[Document]:
    async with app.state.db.session() as session:
        return list((await session.execute(select(Document))).scalars())


def _stored_files(app: FastAPI) -> list[Path]:
    root: Path = app.state.documents.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
async def draft(client: httpx.AsyncClient) -> str:
    await sign_up(client, "uploader@example.com")
    return await start(client, "citizenship")


@pytest.mark.parametrize(
    ("content", "media_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
async def test_accepted_documents_are_stored_and_downloadable(
    client: httpx.AsyncClient, app: FastAPI, draft: str, content: bytes, media_type: str
) -> None:
    response = await upload(client, draft, "en", content, filename="scan.bin")
    assert response.status_code == 303
    [document] = await _documents(app)
    assert document.media_type == media_type and document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert len(_stored_files(app)) == 1
    page = await client.get(f"{draft}/documents")
    link = found(r'href="(/en/account/applications/[0-9a-f]{32}/files/[0-9a-f]{32})"', page.text)
    download = await client.get(link)
    assert download.content == content
    assert download.headers["content-type"].startswith(media_type)
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (EXECUTABLE, "passport.pdf"),
        (b"#!/bin/sh\nrm -rf /\n", "photo.png"),
        (b"<html><script>alert(1)</script>", "scan.jpg"),
        (b"PK\x03\x04zip", "doc.pdf"),
    ],
)
async def test_executables_and_other_files_renamed_pdf_are_rejected(
    client: httpx.AsyncClient, app: FastAPI, draft: str, content: bytes, filename: str
) -> None:
    response = await upload(client, draft, "en", content, filename=filename)
    assert response.status_code == 400
    assert 'id="field-file-error"' in response.text and "PDF, JPEG or PNG" in response.text
    assert await _documents(app) == []
    assert _stored_files(app) == []  # the temporary file is gone too


async def test_rejection_message_in_french(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "televersement@example.com", "fr")
    base = await start(client, "citizenship", "fr")
    response = await upload(client, base, "fr", EXECUTABLE, filename="passeport.pdf")
    assert response.status_code == 400
    assert "Téléversez un fichier PDF, JPEG ou PNG." in response.text


async def test_oversized_upload_with_content_length_is_refused_before_reading(
    client: httpx.AsyncClient, app: FastAPI, draft: str
) -> None:
    limit = app.state.settings.accounts.upload_max_bytes
    await tokens(client, f"{draft}/documents")  # a real browser has its cookies first
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        for _ in range(limit // 65536 + 10):
            read += 65536
            yield b"%PDF" + b"0" * 65532
        yield b"\r\n--xyz--\r\n"

    response = await client.post(
        f"{draft}/files",
        content=body(),
        params=None,
        headers={
            "content-type": "multipart/form-data; boundary=xyz",
            "content-length": str(limit * 2),
        },
    )
    assert response.status_code == 413
    assert read == 0  # refused on the declared length alone
    assert "larger than 10 MB" in response.text and 'id="field-file-error"' in response.text
    assert _stored_files(app) == [] and await _documents(app) == []


async def test_oversized_chunked_upload_is_cut_off_while_streaming(
    client: httpx.AsyncClient, app: FastAPI, draft: str
) -> None:
    limit = app.state.settings.accounts.upload_max_bytes
    page_tokens = await tokens(client, f"{draft}/documents")
    sent = 0
    total_chunks = limit // 65536 * 3

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        head = (
            b'--xyz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + page_tokens["csrf_token"].encode()
            + b"\r\n--xyz\r\n"
            b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        )
        yield head
        for _ in range(total_chunks):
            sent += 1
            yield b"%PDF" + b"0" * 65532
        yield b"\r\n--xyz--\r\n"

    response = await client.post(
        f"{draft}/files",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 413
    # The server stopped reading just past the limit, not at the end of the body.
    assert sent * 65536 <= limit + 3 * 65536 < total_chunks * 65536
    assert _stored_files(app) == [] and await _documents(app) == []


async def test_upload_needs_csrf_and_a_category(
    client: httpx.AsyncClient, app: FastAPI, draft: str
) -> None:
    page_tokens = await tokens(client, f"{draft}/documents")
    response = await client.post(
        f"{draft}/files",
        data={"idempotency_key": page_tokens["idempotency_key"], "category": "identity"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 403
    response = await client.post(
        f"{draft}/files",
        data={**page_tokens, "category": "selfie"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 400 and 'id="field-category-error"' in response.text
    response = await client.post(
        f"{draft}/files",
        data={**page_tokens, "category": "identity"},
        files={"file": ("", b"", "application/pdf")},
    )
    assert response.status_code == 400 and "Choose a file" in response.text
    response = await client.post(
        f"{draft}/files", content=b"garbage", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    response = await client.post(
        f"{draft}/files",
        content=b"--b\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code in (400, 403)
    assert _stored_files(app) == [] and await _documents(app) == []


async def test_retried_upload_is_stored_once(
    client: httpx.AsyncClient, app: FastAPI, draft: str
) -> None:
    page_tokens = await tokens(client, f"{draft}/documents")
    for _ in range(3):
        response = await client.post(
            f"{draft}/files",
            data={**page_tokens, "category": "identity"},
            files={"file": ("a.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 303
    assert len(await _documents(app)) == 1
    assert len(_stored_files(app)) == 1


def test_filenames_are_made_safe() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\scan.pdf") == "scan.pdf"
    assert safe_filename('a<b>"c".pdf') == "abc.pdf"
    assert safe_filename("\x00\x01") == "document"
    assert len(safe_filename("x" * 500 + ".pdf")) == 100


def test_sniffing_reads_content_not_names() -> None:
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(EXECUTABLE) is None
    assert sniff(b"") is None
    assert sniff(b"%PD") is None


@pytest.mark.parametrize(("language", "unit"), [("en", "KB"), ("fr", "Ko")])
async def test_document_sizes_in_the_language_of_the_page(
    client: httpx.AsyncClient, language: str, unit: str
) -> None:
    await sign_up(client, f"size-{language}@example.com", language)
    base = await start(client, "citizenship", language)
    assert (await upload(client, base, language, PDF)).status_code == 303
    page = await client.get(f"{base}/documents")
    assert found(rf"\((\d+) {unit}\)", page.text)
