"""The socket of ``serve``: its port checked before anything says the service is up.

``serve`` binds the socket itself and hands it to uvicorn, so a port that cannot be had (in
use, privileged, not this machine's address) is said in one line before anything else, and
not after a line claiming the opposite. Where it is cheap to find out, the message says
what holds the port: another shopguard-server (it answers ``/v1/health``), or a process of
this user's. uvicorn starts listening on the socket once the app (or the first worker) is
ready; ``when_listening`` says so then, so "Serving on" is true when printed.
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

_PROBE_SECONDS = 0.5
_WATCH_SECONDS = 0.05


class ListenError(Exception):
    """The port cannot be listened on; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (not yet listening: uvicorn's workers listen once
    ready), inheritable by those worker processes.

    Raises:
        ListenError: the address or port cannot be had.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, as getaddrinfo would: asyncio turns off Nagle's algorithm
    # (TCP_NODELAY) only on connections of sockets that say so, and without it every answer
    # written in two parts waits 40 ms for the client's delayed acknowledgement.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # As uvicorn does: a restart need not wait for the old connections' TIME_WAIT. A port
    # another socket listens on is still refused.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(_why(host, port, exc)) from exc
    sock.set_inheritable(True)
    return sock


def when_listening(sock: socket.socket, announce: Callable[[], None]) -> threading.Event:
    """Call ``announce`` (on a thread) once the socket listens, whichever process made it
    listen; set the returned event to stop waiting. Where the system cannot tell whether a
    socket listens, ``announce`` is called at once (the port is had, at least)."""
    stop = threading.Event()
    option = getattr(socket, "SO_ACCEPTCONN", None)

    def watch() -> None:
        while not stop.is_set():
            try:
                listening = option is None or sock.getsockopt(socket.SOL_SOCKET, option)
            except OSError:  # closed: the service stopped
                return
            if listening:
                announce()
                return
            stop.wait(_WATCH_SECONDS)

    threading.Thread(target=watch, name="serve-announce", daemon=True).start()
    return stop


def _why(host: str, port: int, exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return f"Cannot resolve the host name {host}: check --host."
    if exc.errno == errno.EADDRINUSE:
        holder = holder_of(host, port)
        by = f" by {holder}" if holder else ""
        return (
            f"Port {port} on {host} is already in use{by}: stop what uses it, or pass "
            "another --port."
        )
    if exc.errno == errno.EACCES:
        privileged = " (ports below 1024 need administrator rights)" if port < 1024 else ""
        return f"Not allowed to listen on port {port}{privileged}: pass another --port."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: check --host (or use 127.0.0.1)."
    return f"Cannot listen on {host}:{port}: {exc.strerror or exc}."


def holder_of(host: str, port: int) -> str | None:
    """What listens on the port, if cheap to know: a shopguard-server, or a process."""
    process = _process_listening_on(port)
    if _answers_health(host, port):
        return "another shopguard-server" + (f", {process}" if process else "")
    return process


def _answers_health(host: str, port: int) -> bool:
    """Whether the port answers ``GET /v1/health`` as this service does."""
    target = host
    try:
        if ipaddress.ip_address(host).is_unspecified:  # 0.0.0.0 or ::
            target = "127.0.0.1" if ":" not in host else "::1"
    except ValueError:
        pass
    connection = http.client.HTTPConnection(target, port, timeout=_PROBE_SECONDS)
    try:
        connection.request("GET", "/v1/health")
        response = connection.getresponse()
        answer = json.loads(response.read(1024) or b"null")
        return response.status == 200 and answer == {"status": "ok"}
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        connection.close()


def _process_listening_on(port: int) -> str | None:
    """``process PID (name)`` listening on the port, where /proc tells (Linux; processes
    of other users stay unknown unless run as root)."""
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            listening = len(fields) > 9 and fields[3] == "0A"
            if listening and int(fields[1].rsplit(":", 1)[1], 16) == port:
                sockets.add(f"socket:[{fields[9]}]")
    if not sockets:
        return None
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            for fd in (process / "fd").iterdir():
                if os.readlink(fd) in sockets:
                    name = (process / "comm").read_text(encoding="utf-8").strip()
                    return f"process {process.name} ({name})"
        except OSError:  # gone, or another user's
            continue
    return None
