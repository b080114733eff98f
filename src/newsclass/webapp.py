"""What the two local web servers share: binding a socket, running uvicorn, the host
warning.

``newsclass review`` (:mod:`newsclass.review`) and ``newsclass serve``
(:mod:`newsclass.serve`) both listen on the loopback interface unless told otherwise,
bind their socket before they announce their URL (so that port 0, any free port, gives
a URL that works), and run one uvicorn server in this process.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
from typing import Any

__all__ = ["LOOPBACK", "SHORT_TOKEN", "bind", "check_token", "host_warning", "is_loopback",
           "missing_web_extra", "run_app", "server_token", "url_host"]

#: Host names that reach only this machine.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: Shortest token that is not warned about.
SHORT_TOKEN = 16


def is_loopback(host: str) -> bool:
    """Whether `host` is an address of this machine only (127.0.0.0/8, ::1, localhost)."""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(token: str | None) -> str | None:
    """`token` if it can be sent in an ``Authorization: Bearer`` header.

    Raises
    ------
    ValueError
        If it is empty or holds anything but visible ASCII characters (no spaces).
    """
    if token is None:
        return None
    if not isinstance(token, str) or not token:
        raise ValueError("the token (--token, NEWSCLASS_TOKEN) is empty")
    if not all("!" <= ch <= "~" for ch in token):
        raise ValueError("the token (--token, NEWSCLASS_TOKEN) must be visible ASCII "
                         "characters without spaces, as an Authorization header carries it")
    return token


def server_token(host: str, token: str | None) -> tuple[str | None, bool]:
    """The token a server listening on `host` requires, and whether it was generated.

    A given token is always required. Without one, a server on the loopback interface
    requires none, and a server other machines can reach gets a new random one.

    Parameters
    ----------
    host : str
        Where the server listens.
    token : str or None
        The token given (``--token`` or ``NEWSCLASS_TOKEN``).

    Returns
    -------
    token : str or None
        ``None``: no token is required.
    generated : bool

    Raises
    ------
    ValueError
        If the given token cannot be sent in a header (:func:`check_token`).
    """
    if token is not None:
        return check_token(token), False
    if is_loopback(host):
        return None, False
    return secrets.token_urlsafe(32), True


def missing_web_extra(exc: ImportError) -> RuntimeError:
    """The error to raise when Starlette, FastAPI or uvicorn is not installed."""
    return RuntimeError(f"the web servers need newsclass[web] (pip install 'newsclass[web]'): "
                        f"{exc}")


def host_warning(host: str, command: str) -> str | None:
    """A warning for a host that other machines can reach, else ``None``."""
    if is_loopback(host):
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
