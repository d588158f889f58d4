"""A real local HTTP server that plays Meta's Graph API for tests.

It accepts what the Cloud API accepts (messages, media upload, media lookup and download),
records every request, and can be told to fail the next calls the way Meta does: 5xx,
429 with Meta's error bodies, permanent 4xx errors, or hanging past the client's timeout;
or to fail a share of all sends at random for a while (`fail_randomly`), as during one of
Meta's incidents. Like Meta, it reports each accepted message back to the webhook with a
signed `sent` status, and delivers that status again until the webhook answers 200.
"""

import itertools
import json
import random
import threading
import time
import urllib.request
from collections import Counter
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
UNAVAILABLE = Failure(503, meta_error(2, "Service temporarily unavailable"))
ACCOUNT_RATE = Failure(429, meta_error(80007, "Rate limit issues"))
APP_RATE = Failure(400, meta_error(4, "Application request limit reached"))


def random_failures(hang: float) -> dict[str, Failure]:
    """What Meta answers while it is in trouble, by name: server errors with its error
    bodies, its rate limits, and calls that hang past the client's timeout - before the
    message was taken (`hang`) or after (`hang_accepted`: sent, but the answer is lost)."""
    return {
        "500": SERVER_ERROR,
        "502": BAD_GATEWAY,
        "503": UNAVAILABLE,
        "429 130429": THROUGHPUT,
        "429 80007": ACCOUNT_RATE,
        "400 131056": PAIR_RATE,
        "400 4": APP_RATE,
        "hang": Failure(hang=hang),
        "hang_accepted": Failure(hang=hang, accept=True),
    }


class GraphServer:
    def __init__(self, token: str = "test-token"):
        self.token = token
        self.requests: list[dict] = []  # every request, answered or not
        self.accepted: list[dict] = []  # messages we answered 200 with an id
        self.media: dict[str, tuple[bytes, str]] = {}
        self.declare_sizes = True  # a media lookup names the file's size, as Meta's does
        self.failures: list[Failure] = []
        self.webhook: tuple[str, str] | None = None  # (url, app secret) for status updates
        self.status_retry_seconds = 300.0  # Meta keeps delivering a refused status (for days)
        self.random_rate = 0.0  # share of sends and uploads failed at random
        self.random_menu: dict[str, Failure] = {}
        self.injected: Counter[str] = Counter()  # random failures given, by name
        self._random = random.Random()
        self._deck: list[str] = []
        self.latency = 0.0  # seconds Meta takes to answer a send it has taken
        self.answering = 0  # message sends being answered right now
        self.handling = 0  # requests of any kind not finished yet (hanging ones too)
        self.lock = threading.Lock()
        self._stopped = threading.Event()
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
        self._stopped.set()  # status deliveries still retrying give up
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *failures: Failure) -> None:
        with self.lock:
            self.failures.extend(failures)

    def fail_randomly(self, rate: float, *, hang: float, seed: int | None = None) -> None:
        """From now on fail `rate` of message sends and media uploads, each with one of
        `random_failures(hang)` picked at random, until `recover()`."""
        with self.lock:
            self._random.seed(seed)
            self._deck = []
            self.random_menu = random_failures(hang)
            self.random_rate = rate

    def recover(self) -> None:
        with self.lock:
            self.random_rate = 0.0

    def _random_failure(self, path: str) -> Failure | None:
        with self.lock:
            if not self.random_rate or not path.endswith(("/messages", "/media")):
                return None
            if self._random.random() >= self.random_rate:
                return None
            # Dealt from a shuffled deck, so that a few dozen failures include every kind.
            if not self._deck:
                self._deck = list(self.random_menu)
                self._random.shuffle(self._deck)
            name = next(
                (
                    n
                    for n in self._deck
                    if path.endswith("/messages") or not self.random_menu[n].accept
                ),
                "hang",  # an upload is no message Meta could take: it just hangs
            )
            if name in self._deck:
                self._deck.remove(name)
            self.injected[name] += 1
            return self.random_menu[name]

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
            # Like Meta: whatever is not a 200 (a refusal, a timeout, no answer at all) is
            # delivered again, so a status is lost only if the webhook never recovers.
            deadline = time.monotonic() + self.status_retry_seconds
            while not self._stopped.is_set():
                request = urllib.request.Request(
                    url,
                    data=body,
                    method="POST",
                    headers={
                        "Content-Type": "application/json",
                        "X-Hub-Signature-256": sign(body, secret),
                    },
                )
                try:
                    urllib.request.urlopen(request, timeout=10).close()
                    return
                except OSError:
                    if time.monotonic() > deadline:
                        return
                    self._stopped.wait(0.5)

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
                    failure = graph._random_failure(self.path)
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

            def handle_one_request(self):
                with graph.lock:
                    graph.handling += 1
                try:
                    super().handle_one_request()
                finally:
                    with graph.lock:
                        graph.handling -= 1

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
                    with graph.lock:
                        graph.answering += 1
                    try:
                        wamid = self._accept(record)
                        time.sleep(graph.latency)  # taken, not yet answered
                    finally:
                        with graph.lock:
                            graph.answering -= 1
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
                    lookup = {
                        "url": f"{host}/files/{parts[1]}",
                        "mime_type": mime,
                        "sha256": "x",
                        "file_size": len(content),
                        "id": parts[1],
                        "messaging_product": "whatsapp",
                    }
                    if not graph.declare_sizes:
                        del lookup["file_size"]
                    self._reply(200, lookup)
                else:
                    self._reply(404, meta_error(100, "Unsupported get request"))

        return Handler
