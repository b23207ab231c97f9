"""A taken port as a one-line error naming the service, before a server starts and fails with a traceback."""

from __future__ import annotations

import socket

from shelfcast.errors import ShelfcastError


def ensure_port_free(host: str, port: int, service: str) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ShelfcastError(
                f"cannot serve {service} on {host}:{port}: {error.strerror}", hint="choose another --port"
            ) from error
