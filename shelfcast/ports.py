"""A taken port as a one-line error naming the service, before a server starts and fails with a traceback."""

from __future__ import annotations

import socket

from shelfcast.errors import ShelfcastError


def ensure_port_free(host: str, port: int, service: str) -> None:
    with socket.socket() as probe:
        # as servers bind: connections of an earlier server lingering in TIME_WAIT do not hold the port,
        # only a listener does
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ShelfcastError(
                f"cannot serve {service} on {host}:{port}: {error.strerror}", hint="choose another --port"
            ) from error
