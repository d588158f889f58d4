"""A minimal, fast stand-in for Meta's Graph API, for the end-to-end benchmark.

`antrean/whatsapp/tests/graph_server.py` plays the Graph API for the tests (failures,
media downloads, status webhooks) on a thread per connection; this one only accepts, on
one asyncio loop, so it is not what limits a benchmark at hundreds of messages a second:

  POST /{version}/{phone_number_id}/messages  -> {"messaging_product": "whatsapp",
                                                  "contacts": [...], "messages": [{"id"}]}
  POST /{version}/{phone_number_id}/media     -> {"id": "..."}
  GET  /__stats                               -> {"messages": n, "media": n, "refused": n,
                                                  "recipients": n}
  GET  /__records                             -> [[arrival unix time, to, type], ...]
  GET  /__texts                               -> [[arrival unix time, to, type, text], ...]
                                                 (text: a text's or an interactive's body)

Every call needs `Authorization: Bearer TOKEN`. Run as a process of its own:
`python bench/graph_stub.py PORT TOKEN`; it prints "ready" once it listens.
"""

import asyncio
import itertools
import json
import sys
import time

_ids = itertools.count(1)


class Graph:
    def __init__(self, token: str):
        self.auth = f"Bearer {token}".encode()
        self.records: list[list] = []  # [arrival time, to, type] per accepted message
        self.texts: list[str] = []  # the body each record's message showed, same order
        self.recipients: set[str] = set()  # numbers that got at least one message
        self.media = 0
        self.refused = 0

    def answer(self, method: bytes, path: bytes, headers: dict, body: bytes) -> tuple[int, bytes]:
        if method == b"GET" and path == b"/__stats":
            stats = {
                "messages": len(self.records),
                "media": self.media,
                "refused": self.refused,
                "recipients": len(self.recipients),
            }
            return 200, json.dumps(stats).encode()
        if method == b"GET" and path == b"/__records":
            return 200, json.dumps(self.records).encode()
        if method == b"GET" and path == b"/__texts":
            rows = [[*record, text] for record, text in zip(self.records, self.texts, strict=True)]
            return 200, json.dumps(rows).encode()
        if headers.get(b"authorization") != self.auth:
            self.refused += 1
            return 401, _error(190, "Invalid OAuth access token")
        if method == b"POST" and path.endswith(b"/messages"):
            message = json.loads(body)
            to = message.get("to", "")
            self.records.append([time.time(), to, message.get("type", "")])
            self.recipients.add(to)
            # What the person reads, so a benchmark can check who was told what.
            shown = message.get("text") or message.get("interactive", {}).get("body") or {}
            self.texts.append(shown.get("body") or shown.get("text") or "")
            wamid = f"wamid.BENCH{next(_ids):08d}"
            return 200, json.dumps(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": wamid}],
                }
            ).encode()
        if method == b"POST" and path.endswith(b"/media"):
            self.media += 1
            return 200, json.dumps({"id": f"{900000000 + next(_ids)}"}).encode()
        self.refused += 1
        return 404, _error(100, "Unknown path")


def _error(code: int, message: str) -> bytes:
    return json.dumps(
        {"error": {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code}}
    ).encode()


REASONS = {200: b"OK", 401: b"Unauthorized", 404: b"Not Found", 400: b"Bad Request"}


async def _body(reader: asyncio.StreamReader, headers: dict) -> bytes:
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    return await reader.readexactly(int(headers.get(b"content-length", b"0")))


async def serve_connection(graph: Graph, reader, writer) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head[:-4].split(b"\r\n")
            method, path, _ = lines[0].split(b" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            if headers.get(b"expect", b"").lower() == b"100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await _body(reader, headers)
            status, payload = graph.answer(method, path, headers, body)
            writer.write(
                b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (status, REASONS.get(status, b"-"), len(payload))
                + payload
            )
            await writer.drain()
            if headers.get(b"connection", b"").lower() == b"close":
                return
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    finally:
        writer.close()


async def main(port: int, token: str) -> None:
    graph = Graph(token)
    server = await asyncio.start_server(
        lambda r, w: serve_connection(graph, r, w), "127.0.0.1", port, backlog=1024
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
