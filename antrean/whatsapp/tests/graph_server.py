"""A real local HTTP server that plays Meta's Graph API for tests.

It accepts what the Cloud API accepts (messages, media upload, media lookup and download),
records every request, and can be told to fail the next calls the way Meta does: 5xx,
429 with Meta's error bodies, permanent 4xx errors, or hanging past the client's timeout.
"""

import contextlib
import itertools
import json
import threading
import time
import urllib.request
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "v23.0"


def meta_error(code: int, message: str, details: str = "") -> dict:
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or message},
            "fbtrace_id": "AbCdEfGh",
        }
    }


def multipart(content_type: str, raw: bytes) -> dict[str, tuple[bytes, str]]:
    """The fields of a multipart/form-data body: name -> (content, content type)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=email_policy).parsebytes(head + raw)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_payload(decode=True),
            part.get_content_type(),
        )
        for part in message.iter_parts()
    }


class Failure:
    """One scripted answer: a status and body, or a hang of `hang` seconds; `only` limits
    it to requests whose path ends so (e.g. "/messages")."""

    def __init__(self, status=500, body=None, hang=0.0, headers=None, only="", accept=False):
        self.status, self.body, self.hang, self.headers = status, body, hang, headers or {}
        self.only = only
        self.accept = accept  # with `hang`: Meta took the message, the answer never came

    def on(self, suffix: str) -> "Failure":
        return Failure(self.status, self.body, self.hang, self.headers, suffix, self.accept)


THROUGHPUT = Failure(429, meta_error(130429, "Rate limit hit"), headers={"Retry-After": "1"})
PAIR_RATE = Failure(
    400, meta_error(131056, "(Business Account, Consumer Account) pair rate limit hit")
)
SERVER_ERROR = Failure(500, meta_error(131000, "Something went wrong"))
BAD_GATEWAY = Failure(502, None)
INVALID_NUMBER = Failure(400, meta_error(131026, "Message undeliverable", "Receiver is incapable"))


class GraphServer:
    def __init__(self, token: str = "test-token"):
        self.token = token
        self.requests: list[dict] = []  # every request, answered or not
        self.accepted: list[dict] = []  # messages we answered 200 with an id
        self.media: dict[str, tuple[bytes, str]] = {}
        self.failures: list[Failure] = []
        self.webhook: tuple[str, str] | None = None  # (url, app secret) for status updates
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- control ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{VERSION}"

    def start(self) -> "GraphServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *failures: Failure) -> None:
        with self.lock:
            self.failures.extend(failures)

    def add_media(self, content: bytes, mime_type: str) -> str:
        media_id = f"{900000 + next(self._ids)}"
        self.media[media_id] = (content, mime_type)
        return media_id

    def sent_bodies(self) -> list[dict]:
        return [r["json"] for r in self.accepted]

    def report_sent(self, record: dict) -> None:
        """Like Meta: a signed `sent` status webhook, soon after accepting a message."""
        if self.webhook is None:
            return
        from antrean.simulator import cloud
        from antrean.whatsapp.signature import sign

        url, secret = self.webhook
        number = record["path"].strip("/").split("/")[1]
        body = cloud.dumps(
            cloud.status_envelope(
                number,
                "6281100000000",
                wamid=record["wamid"],
                status="sent",
                recipient=record["json"].get("to", ""),
                opaque=record["json"].get("biz_opaque_callback_data", ""),
            )
        )

        def post():
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign(body, secret),
                },
            )
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=10).close()

        threading.Thread(target=post, daemon=True).start()

    # --- the API ------------------------------------------------------------------------
    def _handler(self):
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body=None, headers=None, raw=None, content_type=None):
                payload = raw if raw is not None else json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _accept(self, record) -> str:
                wamid = f"wamid.TEST{next(graph._ids):06d}"
                record["wamid"] = wamid
                with graph.lock:
                    graph.accepted.append(record)
                graph.report_sent(record)
                return wamid

            def _scripted(self, record=None) -> bool:
                with graph.lock:
                    failure = next((f for f in graph.failures if self.path.endswith(f.only)), None)
                    if failure is not None:
                        graph.failures.remove(failure)
                if failure is None:
                    return False
                if failure.hang:
                    if failure.accept and record is not None:
                        self._accept(record)
                    time.sleep(failure.hang)
                    self.close_connection = True
                    return True  # never answered: the client times out
                self._reply(failure.status, failure.body, failure.headers)
                return True

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {graph.token}":
                    return True
                self._reply(401, meta_error(190, "Invalid OAuth access token"))
                return False

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                record = {"method": "POST", "path": self.path, "headers": dict(self.headers)}
                parts = self.path.strip("/").split("/")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    record["json"] = json.loads(raw)
                with graph.lock:
                    graph.requests.append(record)
                if not self._authorized() or self._scripted(record):
                    return
                if len(parts) == 3 and parts[2] == "messages":
                    wamid = self._accept(record)
                    to = record["json"].get("to", "")
                    self._reply(
                        200,
                        {
                            "messaging_product": "whatsapp",
                            "contacts": [{"input": to, "wa_id": to}],
                            "messages": [{"id": wamid}],
                        },
                    )
                elif len(parts) == 3 and parts[2] == "media":
                    form = multipart(self.headers.get("Content-Type", ""), raw)
                    content, _ = form["file"]
                    media_id = graph.add_media(content, form["type"][0].decode())
                    record["media_id"] = media_id
                    record["form"] = {"messaging_product": form["messaging_product"][0].decode()}
                    self._reply(200, {"id": media_id})
                else:
                    self._reply(404, meta_error(100, "Unknown path"))

            def do_GET(self):
                with graph.lock:
                    graph.requests.append({"method": "GET", "path": self.path})
                if not self._authorized() or self._scripted():
                    return
                parts = self.path.strip("/").split("/")
                if parts[0] == "files" and parts[1] in graph.media:
                    content, mime = graph.media[parts[1]]
                    self._reply(200, raw=content, content_type=mime)
                elif len(parts) == 2 and parts[1] in graph.media:
                    content, mime = graph.media[parts[1]]
                    host = f"http://127.0.0.1:{graph.server.server_port}"
                    self._reply(
                        200,
                        {
                            "url": f"{host}/files/{parts[1]}",
                            "mime_type": mime,
                            "sha256": "x",
                            "file_size": len(content),
                            "id": parts[1],
                            "messaging_product": "whatsapp",
                        },
                    )
                else:
                    self._reply(404, meta_error(100, "Unsupported get request"))

        return Handler
