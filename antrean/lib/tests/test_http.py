"""antrean.lib.http against real sockets: kept-alive connections, a connection the server
closed, the three kinds of failure, and proxies from the environment."""

import socket
import threading
import time

import pytest

from antrean.lib import http


class Server:
    """A raw HTTP/1.1 server on a local port. `answer(request_line, headers, body)` gives
    the bytes to write back (None: write nothing and close; (bytes, "close"): write them
    and close); it records each connection and each request line."""

    def __init__(self, answer):
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[str] = []
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self.open.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        stream = connection.makefile("rb")
        try:
            while line := stream.readline():
                headers = {}
                while (header := stream.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = stream.read(int(headers.get("content-length", 0)))
                self.requests.append(line.decode().strip())
                reply = self.answer(line.decode().strip(), headers, body)
                if reply is None:
                    break
                if isinstance(reply, tuple):
                    connection.sendall(reply[0])
                    break
                connection.sendall(reply)
        except OSError:
            pass
        finally:
            connection.close()

    def close_idle_connections(self):
        for connection in self.open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.listener.close()
        self.close_idle_connections()


def ok(body: bytes = b'{"ok": true}', extra: str = "") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


@pytest.fixture
def serve():
    servers = []

    def start(answer):
        servers.append(Server(answer))
        return servers[-1]

    yield start
    http.close()
    for server in servers:
        server.stop()


def call(url, body=b"{}", timeout=2.0):
    return http.request("POST", url, headers={"X-Test": "1"}, body=body, timeout=timeout)


def test_calls_share_one_kept_alive_connection(serve):
    server = serve(lambda line, headers, body: ok(b'{"echo": %d}' % len(body)))
    for size in range(5):
        response = call(f"{server.url}/v1/messages?x=1", body=b"a" * size)
        assert (response.status, response.json()) == (200, {"echo": size})
    assert server.connections == 1
    assert server.requests[0] == "POST /v1/messages?x=1 HTTP/1.1"


def test_a_connection_the_server_closed_is_replaced_before_the_next_call(serve):
    server = serve(lambda line, headers, body: ok())
    assert call(server.url).status == 200
    server.close_idle_connections()
    time.sleep(0.05)
    assert call(server.url).status == 200  # not an error: nothing was sent on the old one
    assert server.connections == 2


def test_an_answer_that_closes_the_connection_is_not_kept(serve):
    server = serve(lambda line, headers, body: ok(extra="Connection: close\r\n"))
    call(server.url)
    call(server.url)
    assert server.connections == 2


def test_nobody_listening_is_a_connect_error():
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    with pytest.raises(http.ConnectError):
        call(f"http://127.0.0.1:{port}/")


def test_no_answer_in_time_is_a_timeout(serve):
    def slow(line, headers, body):
        time.sleep(1.0)
        return ok()

    server = serve(slow)
    with pytest.raises(http.Timeout):
        call(server.url, timeout=0.2)


def test_a_connection_broken_before_the_answer_is_a_transport_error(serve):
    server = serve(lambda line, headers, body: None)  # reads the request, closes
    with pytest.raises(http.TransportError):
        call(server.url)


def test_an_answer_cut_short_is_a_transport_error(serve):
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"
    server = serve(lambda line, headers, body: (cut, "close"))
    with pytest.raises(http.TransportError):
        call(server.url)


def test_a_stream_reads_the_body_as_it_comes(serve):
    server = serve(lambda line, headers, body: ok(b"x" * 200_000))
    with http.stream("GET", f"{server.url}/file", headers={}, timeout=2.0) as answer:
        assert answer.status == 200
        assert sum(len(chunk) for chunk in answer.chunks(65536)) == 200_000
    assert server.requests == ["GET /file HTTP/1.1"]


def test_plain_http_goes_through_the_environments_proxy(serve, monkeypatch):
    seen = {}

    def proxy(line, headers, body):
        seen.update(line=line, auth=headers.get("proxy-authorization"))
        return ok()

    server = serve(proxy)
    monkeypatch.setenv("HTTP_PROXY", f"http://user:p%40ss@127.0.0.1:{server.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert call("http://graph.example/v23.0/1/messages").status == 200
    assert seen["line"] == "POST http://graph.example/v23.0/1/messages HTTP/1.1"
    assert seen["auth"] == "Basic dXNlcjpwQHNz"  # user:p@ss


def test_https_asks_the_proxy_for_a_tunnel_and_a_refusal_is_a_connect_error(serve, monkeypatch):
    server = serve(
        lambda line, headers, body: (
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
        )
    )
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(http.ConnectError):
        call("https://graph.example/v23.0/1/messages")
    assert server.requests == ["CONNECT graph.example:443 HTTP/1.0"]


def test_no_proxy_names_the_hosts_reached_directly(serve, monkeypatch):
    server = serve(lambda line, headers, body: ok())
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert call(f"{server.url}/direct").status == 200
    assert server.requests == ["POST /direct HTTP/1.1"]


def test_a_stream_left_unread_does_not_spoil_the_next_call(serve):
    server = serve(lambda line, headers, body: ok(b"x" * 500_000))
    with http.stream("GET", f"{server.url}/big", headers={}, timeout=2.0) as answer:
        next(answer.chunks(1000))  # e.g. the file is over the size allowed
    assert len(call(server.url).content) == 500_000
    assert server.connections == 2


def test_a_streamed_body_cut_short_is_a_transport_error(serve):
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000
    server = serve(lambda line, headers, body: (cut, "close"))
    with pytest.raises(http.TransportError):
        with http.stream("GET", f"{server.url}/file", headers={}, timeout=2.0) as answer:
            b"".join(answer.chunks(65536))
