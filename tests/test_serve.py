"""The browser tests talk to the app they started, never to another server on the same port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks._serve import served_app


class _Impostor(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[int]:
    """A server on loopback that answers Streamlit's health check, as a stray app would."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_taken_by_another_server_is_an_error_not_a_silent_wrong_app(
    impostor: int, tmp_path: Path
) -> None:
    env = {"REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    with (
        pytest.raises(RuntimeError, match=f"did not become healthy at http://127.0.0.1:{impostor}"),
        served_app(tmp_path / "streamlit.log", env, port=impostor),
    ):
        pass
