"""What the two local web servers share: binding a socket, running uvicorn, the host
warning.

``newsclass review`` (:mod:`newsclass.review`) and ``newsclass serve``
(:mod:`newsclass.serve`) both listen on the loopback interface unless told otherwise,
bind their socket before they announce their URL (so that port 0, any free port, gives
a URL that works), and run one uvicorn server in this process.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

__all__ = ["LOOPBACK", "bind", "host_warning", "missing_web_extra", "run_app", "url_host"]

#: Host names that reach only this machine.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def missing_web_extra(exc: ImportError) -> RuntimeError:
    """The error to raise when Starlette, FastAPI or uvicorn is not installed."""
    return RuntimeError(f"the web servers need newsclass[web] (pip install 'newsclass[web]'): "
                        f"{exc}")


def host_warning(host: str, command: str) -> str | None:
    """A warning for a host that other machines can reach, else ``None``."""
    if host in LOOPBACK:
        return None
    return (f"warning: newsclass {command} listens on {host}, so other machines on the "
            "network can reach it; keep the default 127.0.0.1 unless you mean that")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host` and `port` (0: any free port).

    Raises
    ------
    ValueError
        If the address cannot be bound (in use, not this machine's, no permission); the
        message names it.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ValueError(f"cannot listen on {host} port {port}: "
                         f"{(exc.strerror or str(exc)).lower()}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_host(sock: socket.socket) -> str:
    """``host:port`` of a bound socket, as a URL writes it."""
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_app(app: Any, sock: socket.socket, announce: str, *, log_level: str = "warning"
            ) -> None:
    """Print `announce` (flushed), then serve `app` with uvicorn on `sock` until Ctrl-C.

    Parameters
    ----------
    app : ASGI application
    sock : socket.socket
        From :func:`bind`.
    announce : str
        What to tell the user first, the URL above all.
    log_level : str, default="warning"
        uvicorn's log level; ``"info"`` logs every request.
    """
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise missing_web_extra(exc) from None
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    print(announce, flush=True)
    sys.stderr.flush()
    server.run(sockets=[sock])
