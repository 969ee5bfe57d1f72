"""The baseline for bench/pages.py: the smallest ASGI app that returns fixed bytes.

It sends the same body and the same headers as the page it stands in for, read from the file
named by NORTHBOUND_BENCH_BODY, so the comparison measures the framework path, not the payload.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_body_file = Path(os.environ["NORTHBOUND_BENCH_BODY"])
BODY = _body_file.read_bytes()
HEADERS = [
    (k.encode(), v.encode())
    for k, v in json.loads(_body_file.with_suffix(".headers.json").read_text())
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
