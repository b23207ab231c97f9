"""A port is taken only while something listens on it: a server restarted on its port (Superset by `shelfcast
dashboards up`, the API) must not be refused because its earlier connections linger in TIME_WAIT."""

from __future__ import annotations

import socket

import pytest

from shelfcast.errors import ShelfcastError
from shelfcast.ports import ensure_port_free


def test_a_listening_port_is_refused_in_one_line_naming_the_service() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(ShelfcastError, match=rf"cannot serve Superset on 127\.0\.0\.1:{port}"):
            ensure_port_free("127.0.0.1", port, "Superset")


def test_connections_left_in_time_wait_do_not_hold_the_port() -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its side of the connection waits in TIME_WAIT
    client.recv(1)
    client.close()
    listener.close()
    ensure_port_free("127.0.0.1", port, "Superset")
