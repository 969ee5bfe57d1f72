"""Where the applications package keeps its shared objects on ``app.state``."""

from __future__ import annotations

from starlette.requests import Request

from northbound.portal.applications.storage import DocumentStore


def document_store(request: Request) -> DocumentStore:
    store: DocumentStore = request.app.state.documents
    return store
