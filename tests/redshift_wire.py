"""A TCP relay that lets dbt-redshift's driver talk to the local PostgreSQL, the stand-in for Redshift.

Redshift speaks the PostgreSQL wire protocol; its driver (redshift_connector) adds startup parameters
(`client_protocol_version`, `driver_version`, `os_version`, ...) that PostgreSQL refuses as unknown. The
relay keeps only the parameters PostgreSQL knows in the startup packet, reports the server version as the
bare number the driver parses (Debian's build adds a suffix it cannot read), and passes every other byte
through unchanged, so `dbt compile --target redshift` runs the
real adapter, with its real introspection queries, against a real server.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

SSL_REQUEST = 80877103
POSTGRES_STARTUP_PARAMETERS = {b"user", b"database", b"application_name", b"options", b"client_encoding"}


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client closed the connection during start-up")
        data += chunk
    return data


def _read_packet(sock: socket.socket) -> bytes:
    (length,) = struct.unpack("!I", _read_exact(sock, 4))
    return _read_exact(sock, length - 4)


def postgres_startup(body: bytes) -> bytes:
    """The startup packet body (protocol version, key\\0value\\0 pairs, \\0) with PostgreSQL's keys only."""
    protocol, fields = body[:4], body[4:].split(b"\0")
    pairs = [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2) if fields[i]]
    kept = b"".join(k + b"\0" + v + b"\0" for k, v in pairs if k in POSTGRES_STARTUP_PARAMETERS)
    return protocol + kept + b"\0"


def _relay_start_up(upstream: socket.socket, client: socket.socket) -> None:
    """Server messages until the first ReadyForQuery, with `server_version` cut to its number."""
    while True:
        kind = _read_exact(upstream, 1)
        body = _read_packet(upstream)
        if kind == b"S" and body.startswith(b"server_version\0"):
            number = body.split(b"\0")[1].split(b" ")[0]
            body = b"server_version\0" + number + b"\0"
        client.sendall(kind + struct.pack("!I", len(body) + 4) + body)
        if kind in (b"Z", b"E"):
            return


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class RedshiftWireRelay:
    upstream_host: str
    upstream_port: int
    listener: socket.socket = field(init=False)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            body = _read_packet(client)
            if struct.unpack("!I", body[:4])[0] == SSL_REQUEST:
                client.sendall(b"N")  # no TLS on the loopback relay; the client goes on in plain text
                body = _read_packet(client)
            upstream = socket.create_connection((self.upstream_host, self.upstream_port))
        except (OSError, ConnectionError):
            client.close()
            return
        startup = postgres_startup(body)
        upstream.sendall(struct.pack("!I", len(startup) + 4) + startup)
        threading.Thread(target=self._downstream, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    @staticmethod
    def _downstream(upstream: socket.socket, client: socket.socket) -> None:
        try:
            _relay_start_up(upstream, client)
        except (OSError, ConnectionError):
            client.close()
            return
        _pipe(upstream, client)

    def close(self) -> None:
        self.listener.close()
