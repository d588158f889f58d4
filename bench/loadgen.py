"""A small HTTP/1.1 load generator on raw asyncio streams, with keep-alive connections.

httpx's client costs more per request than the web server it measures on a small machine;
writing prepared request bytes and reading the answer by Content-Length costs little, so
the generator stays well below the server's rate (its CPU time is reported to show it).

- `open_loop`: request i is due at start + i / rate whatever the answers do; latency is
  counted from the due time, so a stalled server cannot hide its stall by slowing the
  generator down (no coordinated omission).
- `closed_loop`: C connections, each sending its next request as soon as the previous one
  is answered: the server's maximum rate.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


def http_request(
    method: str, path: str, port: int, body: bytes = b"", headers: dict | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Result:
    count: int
    status: list = field(default_factory=list)  # per request; 0 = connection error
    sent_at: list = field(default_factory=list)  # wall time when written (time.time())
    latency: list = field(default_factory=list)  # seconds (from the due time in open loop)
    started: float = 0.0  # wall time of the first request
    finished: float = 0.0  # wall time of the last answer
    lag_max: float = 0.0  # open loop: how late the generator wrote a request, at worst
    cpu_seconds: float = 0.0  # the generator's own CPU time
    connections: int = 0
    unanswered: int = 0  # open loop: given up on after the grace period
    issued: int = 0  # requests taken in hand (a closed loop with a deadline takes fewer)

    def __post_init__(self):
        self.status = [None] * self.count
        self.sent_at = [None] * self.count
        self.latency = [None] * self.count

    @property
    def done(self) -> int:
        return sum(1 for s in self.status if s is not None)

    @property
    def ok(self) -> int:
        return sum(1 for s in self.status if s == 200)

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def errors(self) -> dict:
        return {str(k): v for k, v in Counter(self.status).items() if k not in (200, None)}

    def percentiles(self) -> dict:
        """Of every request sent (an unanswered one counts with its wait so far)."""
        values = sorted(x for x in self.latency if x is not None)
        if not values:
            return {}
        pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
        return {
            "p50_ms": round(pick(0.50) * 1000, 2),
            "p90_ms": round(pick(0.90) * 1000, 2),
            "p99_ms": round(pick(0.99) * 1000, 2),
            "max_ms": round(values[-1] * 1000, 2),
        }

    def summary(self) -> dict:
        return {
            "requests": self.issued,
            "answered": self.done,
            "ok": self.ok,
            "unanswered": self.unanswered,
            "errors": self.errors(),
            "seconds": round(self.seconds, 3),
            "per_second": round(self.rate, 1),
            "connections": self.connections,
            "generator_cpu_seconds": round(self.cpu_seconds, 2),
            **self.percentiles(),
        }


class Connection:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.closed = reader, writer, False

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        return cls(reader, writer)

    async def exchange(self, data: bytes) -> int:
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.strip().lower() == b"close":
                self.closed = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.closed = True
        self.writer.close()


class Pool:
    def __init__(self, port: int, limit: int):
        self.port, self.limit = port, limit
        self.idle: list[Connection] = []
        self.opened = 0
        self.waiters: list[asyncio.Future] = []

    async def acquire(self) -> Connection:
        if self.idle:
            return self.idle.pop()
        if self.opened < self.limit:
            self.opened += 1
            try:
                return await Connection.open(self.port)
            except OSError:
                self.opened -= 1
                raise
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        return await waiter

    def release(self, connection: Connection) -> None:
        self.waiters = [w for w in self.waiters if not w.done()]
        if connection.closed:
            self.opened -= 1
            if self.waiters:  # someone waits for a slot: open one for them
                waiter = self.waiters.pop(0)
                self.opened += 1
                task = asyncio.ensure_future(Connection.open(self.port))
                task.add_done_callback(lambda t: self._settle(waiter, t))
            return
        if self.waiters:
            self.waiters.pop(0).set_result(connection)
        else:
            self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()

    def _settle(self, waiter: asyncio.Future, task: asyncio.Task) -> None:
        """A connection opened for `waiter` is ready, or failed to open."""
        if task.exception() is not None:
            self.opened -= 1  # its slot is free again
            if not waiter.done():
                waiter.set_exception(task.exception())
        elif waiter.done():  # its request was given up on: the next one takes it
            self.release(task.result())
        else:
            waiter.set_result(task.result())


async def _one(pool: Pool, result: Result, i: int, data: bytes, due: float) -> None:
    """One request; latency from `due` (perf_counter)."""
    try:
        connection = await pool.acquire()
    except OSError:
        result.status[i], result.latency[i] = 0, time.perf_counter() - due
        return
    result.sent_at[i] = time.time()
    try:
        result.status[i] = await connection.exchange(data)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        result.status[i] = 0
        connection.close()
    result.latency[i] = time.perf_counter() - due
    result.finished = time.time()
    pool.release(connection)


async def paced(count: int, rate: float, start: float, launch) -> tuple[list, float]:
    """Start `launch(i, due)` for each i at its due time from `start` (perf_counter), `rate`
    a second, without waiting for answers (an open loop); the tasks, and the most any
    started late (seconds)."""
    tasks, lag_max = [], 0.0
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        lag_max = max(lag_max, time.perf_counter() - due)
        tasks.append(asyncio.create_task(launch(i, due)))
    return tasks, lag_max


async def _open_loop(port, make, count, rate, grace, limit) -> Result:
    result, pool = Result(count), Pool(port, limit)
    cpu = os.times()
    start = time.perf_counter() + 0.01
    result.started = time.time() + 0.01
    result.issued = count
    tasks, result.lag_max = await paced(
        count, rate, start, lambda i, due: _one(pool, result, i, make(i), due)
    )
    # What is still unanswered `grace` seconds after the last request was due is given up
    # on: counted as unanswered, its latency as the wait so far (a lower bound).
    _, late = await asyncio.wait(
        tasks, timeout=max(0.0, start + count / rate + grace - time.perf_counter())
    )
    for task in late:
        task.cancel()
    now = time.perf_counter()
    for i in range(count):
        if result.status[i] is None:
            result.latency[i] = now - (start + i / rate)
            result.unanswered += 1
    result.finished = result.finished or time.time()
    result.connections = pool.opened
    pool.close()
    after = os.times()
    result.cpu_seconds = (after.user - cpu.user) + (after.system - cpu.system)
    return result


async def _closed_loop(port, make, count, concurrency, seconds) -> Result:
    result = Result(count)
    cpu = os.times()
    next_index = iter(range(count))
    deadline = time.perf_counter() + seconds if seconds else None
    result.started = time.time()

    async def client():
        connection = None
        for i in next_index:
            if deadline is not None and time.perf_counter() > deadline:
                break
            result.issued += 1
            if connection is None or connection.closed:
                try:
                    connection = await Connection.open(port)
                except OSError:
                    result.status[i], result.latency[i] = 0, 0.0
                    continue
            began = time.perf_counter()
            result.sent_at[i] = time.time()
            try:
                result.status[i] = await connection.exchange(make(i))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.status[i] = 0
                connection.close()
            result.latency[i] = time.perf_counter() - began
            result.finished = time.time()
        if connection is not None:
            connection.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.connections = concurrency
    after = os.times()
    result.cpu_seconds = (after.user - cpu.user) + (after.system - cpu.system)
    return result


def open_loop(
    port: int,
    make: Callable[[int], bytes],
    count: int,
    rate: float,
    grace: float = 10.0,
    limit: int = 512,
) -> Result:
    """`count` requests at `rate` per second, on up to `limit` keep-alive connections;
    what is not answered `grace` seconds after the last was due counts as unanswered."""
    return asyncio.run(_open_loop(port, make, count, rate, grace, limit))


def closed_loop(
    port: int, make: Callable[[int], bytes], count: int, concurrency: int, seconds: float = 0
) -> Result:
    """Up to `count` requests (or until `seconds` pass) on `concurrency` connections."""
    return asyncio.run(_closed_loop(port, make, count, concurrency, seconds))
