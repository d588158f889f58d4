"""A TCP relay whose open connections can be made to go silent, for fault tests.

`silence()` is what a network does to a connection when a failover moves the server, a NAT
or firewall forgets the connection, or a host hangs without its kernel closing anything:
whatever either end sends is taken and dropped, nothing comes back, and nothing is closed.
Connections opened after it pass as before, so a client that gives up on a silent one
and connects again is served.
"""

import socket
import threading

from antrean.ops.tests.processes import free_port


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket):
        self.client, self.server = client, server
        self.silent = False

    def close(self) -> None:
        for end in (self.client, self.server):
            try:
                end.close()
            except OSError:
                pass


class SilentProxy:
    def __init__(self, target_port: int):
        self.target_port, self.port = target_port, free_port()
        self._pairs: list[_Pair] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    @property
    def redis_url(self) -> str:
        """The relay's address for a Redis client (the one server it is used for)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "SilentProxy":
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def silence(self) -> int:
        """Make every open connection silent; how many there were."""
        with self._lock:
            for pair in self._pairs:
                pair.silent = True
            return len(self._pairs)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for pair in self._pairs:
                pair.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, server)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, server, client), daemon=True).start()

    def _pump(self, pair: _Pair, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not pair.silent:
                    sink.sendall(data)
        except OSError:
            pass
        if not pair.silent:  # a silent connection is never closed by the network
            pair.close()
