"""Running an ASGI app on a real socket, in the foreground or in a background thread.

What it is: the small piece shared by ``modelswap sim serve``, the gateway, the tests and the
benchmarks to put an app on a port. What it is not: the apps themselves.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    options.setdefault("log_level", "warning")
    options.setdefault("access_log", False)
    options.setdefault("lifespan", "on")
    return uvicorn.Config(app, host=host, port=port, **options)


def serve_forever(app: Any, *, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
    """Serve ``app`` until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    uvicorn.Server(_config(app, host, port, **options)).run()


@contextmanager
def running_server(app: Any, *, host: str = "127.0.0.1", port: int | None = None,
                   startup_timeout_s: float = 10.0, **options: Any) -> Iterator[str]:
    """Serve ``app`` in a background thread; yield its base URL (``http://host:port``) and stop it on exit."""
    port = port or free_port(host)
    server = uvicorn.Server(_config(app, host, port, **options))
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"server on {host}:{port} did not start within {startup_timeout_s} s")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
