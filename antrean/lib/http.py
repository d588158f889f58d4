"""A small HTTP/1.1 client on the standard library's http.client, for the Graph API calls.

One kept-alive connection per thread and origin; failures sorted by what they say about
the request: `ConnectError` (it was never sent), `Timeout` and `TransportError` (it may
have reached the server). Proxies come from the environment (HTTPS_PROXY, HTTP_PROXY,
ALL_PROXY, NO_PROXY) as httpx and urllib read them.

Why not httpx, which this replaced: the worker makes three Graph API calls per booking
(the QR code's upload, then two messages), and httpx spent ~1 ms of CPU on each against
~0.2 ms here; the calls were a tenth of the worker's time end to end (bench/README.md).
What we need of an HTTP client is this much.
"""

import base64
import http.client
import json
import select
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment


class HTTPError(Exception):
    """A request that got no answer."""


class ConnectError(HTTPError):
    """No connection to the server (or the proxy): nothing was sent."""


class Timeout(HTTPError):
    """No answer in time: the request may have reached the server."""


class TransportError(HTTPError):
    """The connection broke during the exchange: the request may have reached the server."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: Message
    content: bytes

    def json(self):
        return json.loads(self.content)


_local = threading.local()
_tls: ssl.SSLContext | None = None


def request(
    method: str, url: str, *, headers: dict[str, str], body: bytes | None = None, timeout: float
) -> Response:
    with _exchange(method, url, headers, body, timeout) as response:
        answer = Stream(response)
        return Response(answer.status, answer.reason, answer.headers, answer.read())


@contextmanager
def stream(method: str, url: str, *, headers: dict[str, str], timeout: float) -> Iterator["Stream"]:
    """The answer's status and headers, its body read as it comes (`Stream.chunks`)."""
    with _exchange(method, url, headers, None, timeout) as response:
        yield Stream(response)


class Stream:
    def __init__(self, response: http.client.HTTPResponse):
        self.status, self.reason, self.headers = response.status, response.reason, response.headers
        self._response = response

    def chunks(self, size: int = 65536) -> Iterator[bytes]:
        with _sorted_failures():
            while chunk := self._response.read(size):
                yield chunk
            if self._response.length:  # the connection ended before the body did
                raise http.client.IncompleteRead(b"", self._response.length)

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def json(self):
        return json.loads(self.read())


@contextmanager
def _exchange(method, url, headers, body, timeout) -> Iterator[http.client.HTTPResponse]:
    parts = urlsplit(url)
    origin = (parts.scheme, parts.hostname or "", parts.port)
    connection, absolute = _connection(origin, timeout)
    target = url if absolute else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kept = False
    try:
        with _sorted_failures():
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
        yield response
        # Kept for the next call only when the answer was read to its end on a connection
        # both sides keep open; anything else would leave bytes for the next answer.
        kept = not response.will_close and response.isclosed()
    finally:
        if not kept:
            _drop(origin)


@contextmanager
def _sorted_failures() -> Iterator[None]:
    """A failure after the connection was open, as one of ours: the request may have
    reached the server."""
    try:
        yield
    except TimeoutError:
        raise Timeout("no answer in time") from None
    except (OSError, http.client.HTTPException) as error:
        raise TransportError(type(error).__name__) from None


def _connection(origin, timeout) -> tuple[http.client.HTTPConnection, bool]:
    """The thread's open connection to `origin` (or a new one), and whether requests go
    through an HTTP proxy (and so name the whole URL)."""
    pool = _local.__dict__.setdefault("pool", {})
    if origin in pool:
        connection, absolute = pool[origin]
        if connection.sock is not None and not _closed_by_peer(connection.sock):
            connection.sock.settimeout(timeout)
            return connection, absolute
        _drop(origin)
    connection, absolute = _new(origin, timeout)
    try:
        connection.connect()
    except OSError as error:  # refused, unreachable, no such name, TLS, timeout
        connection.close()
        raise ConnectError(type(error).__name__) from None
    pool[origin] = (connection, absolute)
    return connection, absolute


def _new(origin, timeout) -> tuple[http.client.HTTPConnection, bool]:
    scheme, host, port = origin
    if scheme not in ("http", "https") or not host:
        raise ConnectError(f"not an http(s) URL: {scheme}://{host}")
    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    options = {"context": _tls_context()} if scheme == "https" else {}
    proxy = _proxy(scheme, host)
    if proxy is None:
        return kind(host, port, timeout=timeout, **options), False
    if proxy.scheme != "http" or not proxy.hostname:
        raise ConnectError(f"unsupported proxy: {proxy.scheme}://{proxy.hostname}")
    credentials = {}
    if proxy.username:
        secret = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
        credentials = {"Proxy-Authorization": "Basic " + base64.b64encode(secret).decode()}
    if scheme == "https":  # a tunnel through the proxy (CONNECT), TLS with the server
        connection = kind(proxy.hostname, proxy.port or 80, timeout=timeout, **options)
        connection.set_tunnel(host, port, headers=credentials)
        return connection, False
    return _ProxiedHTTP(proxy.hostname, proxy.port or 80, timeout=timeout, extra=credentials), True


class _ProxiedHTTP(http.client.HTTPConnection):
    """Plain HTTP through a proxy: the request names the whole URL, with the proxy's
    credentials."""

    def __init__(self, *args, extra: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self._extra = extra

    def request(self, method, url, body=None, headers=None, **kwargs):
        headers = {**(headers or {}), **self._extra}
        super().request(method, url, body=body, headers=headers, **kwargs)


def _proxy(scheme: str, host: str):
    proxies = getproxies_environment()
    url = proxies.get(scheme) or proxies.get("all")
    if not url or proxy_bypass_environment(host, proxies):
        return None
    return urlsplit(url if "://" in url else f"http://{url}")


def _tls_context() -> ssl.SSLContext:
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context()  # the system's CAs; SSL_CERT_FILE if set
    return _tls


def _closed_by_peer(sock) -> bool:
    """An idle kept-alive connection has nothing to read unless the server closed it (or
    sent what nobody asked for): either way it cannot carry the next request."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _drop(origin) -> None:
    pool = _local.__dict__.get("pool", {})
    entry = pool.pop(origin, None)
    if entry is not None:
        entry[0].close()


def close() -> None:
    """Close this thread's connections (tests; a worker thread's end)."""
    for origin in list(_local.__dict__.get("pool", {})):
        _drop(origin)
