"""`streamlit run app.py` on loopback until the block ends: for browser tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60
# Debian's Chromium, headless, as root, on a machine whose network is closed: without the
# background-networking flags it tries Google's hosts at every start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def served_app(log: Path, env: Mapping[str, str], *, port: int | None = None) -> Iterator[str]:
    """The app's address, served with `env` added to this process's environment.

    `port` is for a caller that must name the address before the app starts (single sign-on's
    `redirect_uri`); by default a free one is taken.
    """
    port = port or free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(server, address, log)
        yield address
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(server: subprocess.Popen[bytes], address: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{address}/_stcore/health", timeout=1) as response:
                # Another server may have taken the port between free_port() and our bind: the
                # answer counts only once our own process says it serves that address.
                if response.read() == b"ok" and _serves(server, address, log):
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"streamlit did not become healthy at {address}:\n{tail}")
        time.sleep(0.1)


def _serves(server: subprocess.Popen[bytes], address: str, log: Path) -> bool:
    host_port = address.removeprefix("http://")
    return server.poll() is None and host_port in log.read_text(encoding="utf-8", errors="replace")
