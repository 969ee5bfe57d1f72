"""The separate metrics listener: ``/metrics`` on its own port, away from the public site.

Started by ``northbound serve`` in its own process before the workers: with several workers
that process is the parent, which reads every worker's metric files (multiprocess mode), so one
scrape covers the instance; with one worker the app runs in the same process and the default
registry is the app's.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from northbound.ops.health import exposition


class _MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/metrics", "/"):
            self.send_error(404, "Only /metrics is served here.")
            return
        body = exposition()
        self.send_response(200)
        self.send_header("content-type", CONTENT_TYPE_LATEST)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would flood the log; errors still go to stderr."""


def start_metrics_listener(host: str, port: int) -> ThreadingHTTPServer:
    """Serve the metrics on ``host:port`` from a daemon thread; returns the server to stop it."""
    server = ThreadingHTTPServer((host, port), _MetricsHandler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, name=f"metrics-{os.getpid()}", daemon=True
    )
    thread.start()
    return server
