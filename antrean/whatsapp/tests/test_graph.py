"""graph.fetch_media against a real server: the file, and the size limit whether the
Graph API declares the size or not."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from antrean.whatsapp import graph


@pytest.fixture
def api(graph):  # the WhatsApp tests' Graph API stand-in (`graph` names the module here)
    return graph


def test_the_file_and_its_type(api):
    media_id = api.add_media(b"\xff\xd8jpeg bytes" * 100, "image/jpeg")
    assert graph.fetch_media(media_id, 10_000) == (b"\xff\xd8jpeg bytes" * 100, "image/jpeg")


def test_a_file_declared_over_the_limit_is_not_downloaded(api):
    media_id = api.add_media(b"x" * 5000, "image/jpeg")
    with pytest.raises(graph.GraphError) as refused:
        graph.fetch_media(media_id, 4999)
    assert (refused.value.title, refused.value.retryable) == ("file too large", False)
    assert not [r for r in api.requests if r["path"].startswith("/files/")]


class Undeclared(BaseHTTPRequestHandler):
    """A media lookup without `file_size`, and a file larger than that lookup admits."""

    def do_GET(self):
        host = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/42":
            body = json.dumps({"url": f"{host}/files/42", "mime_type": "image/png"}).encode()
        else:
            body = b"y" * 300_000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client stopped reading, as it should

    def log_message(self, *args):
        pass


def test_a_file_over_the_limit_stops_the_download_when_its_size_was_not_declared(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Undeclared)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WHATSAPP_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.WHATSAPP_ACCESS_TOKEN = "token"
    try:
        with pytest.raises(graph.GraphError) as refused:
            graph.fetch_media("42", 100_000)
        assert (refused.value.title, refused.value.retryable) == ("file too large", False)
        assert graph.fetch_media("42", 300_000) == (b"y" * 300_000, "image/png")
    finally:
        server.shutdown()
        server.server_close()
