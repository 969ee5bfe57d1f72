"""The server's heap and the garbage collector: what a full collection has to walk.

CPython's full collection walks every container object the process holds, and the event loop
stands still while it does. A started site holds about 170,000 of them before its first
request (FastAPI, pydantic, SQLAlchemy, Jinja, the pre-rendered pages) that live as long as
the process; under the lab's election night the heap grew to about 400,000 (mostly the
kept-alive connections of people polling in line), and full collections paused the site for
20-270 ms each, 21 times in a 120 s surge: every request in flight waited, and admission
control read the stall as overload.

``freeze_start_up_heap`` collects once when start-up is done and moves what is left into the
collector's permanent generation (``gc.freeze``), so later collections walk only what
requests and connections create. Objects made after it are collected as before; the ones
frozen are the application itself, which is never garbage.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_start_up_heap() -> int:
    """Collect, then leave everything alive now out of later collections; returns how many
    objects that is."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen", extra={"objects": frozen})
    return frozen
