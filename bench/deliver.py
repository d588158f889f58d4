"""Issue 9: the worker's cost of delivering replies, in one process.

A fresh installation (SQLite in a temporary folder, or DATABASE_URL) with the demo
offices; N contacts, each with a booking's two replies queued (the QR code image, then the
details with their two buttons, as antrean.conversation.dialog builds them); then
`outbox.deliver` for each contact, one after the other, against the Graph API stand-in of
the end-to-end benchmark (bench/graph_stub.py, its own process). WHATSAPP_THROUGHPUT is
1000 so that Meta's pacing is not what is measured.

Reported: replies per second, milliseconds, SQL statements and write transactions per
reply (a commit, or a write statement in autocommit), and HTTP calls; checked: every row
sent once, the stand-in got one upload and the two messages per contact, the image
first. Speed is reported, never asserted; a failed check exits 1.

Environment: BENCH_DELIVER_REPLIES [400 contacts, so 800 replies], BENCH_DELIVER_WARMUP
[20 contacts], BENCH_PROFILE [a file: write a cProfile of the timed part there],
DATABASE_URL [SQLite in a temporary folder].
"""

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

N = int(os.environ.get("BENCH_DELIVER_REPLIES") or 400)
WARMUP = int(os.environ.get("BENCH_DELIVER_WARMUP") or 20)
PROFILE = os.environ.get("BENCH_PROFILE", "")
TOKEN = "bench-access-token"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stub() -> tuple[subprocess.Popen, int]:
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, str(BENCH / "graph_stub.py"), str(port), TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert stub.stdout.readline().strip() == "ready"
    return stub, port


def stub_get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


def setup(port: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["ANTREAN_DATA_DIR"] = tempfile.mkdtemp(prefix="antrean-deliver-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="antrean.settings",
        WHATSAPP_API_URL=f"http://127.0.0.1:{port}/v23.0",
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_SIMULATOR="0",
        WHATSAPP_THROUGHPUT=os.environ.get("WHATSAPP_THROUGHPUT", "1000"),
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def booking_replies(i: int) -> list:
    """A booking's two replies, shaped (and about as long) as the dialog's."""
    from antrean.whatsapp.messages import Button, Buttons, QrImage

    code = f"B{i:07d}"[-8:].replace("0", "A")
    details = (
        f"Booking Anda tercatat.\n\nKode booking: *{code}*\nNama: Budi Santoso {i}\n"
        "Tanggal lahir: 17 Mei 1990\nTanggal datang: Selasa, 10 Agustus 2027\n"
        "Jam: 09.00 WIB\nKonfirmasi paling lambat: 9 Agu 2027 09.00\n\n"
        "Kantor Imigrasi Kelas I Khusus TPI Jakarta Pusat\n"
        "Jl. Merpati Blok B 12 No. 3, Kemayoran, Jakarta Pusat\n\n"
        "Tekan Konfirmasi untuk mengunci jadwal Anda, atau Batal bila tidak jadi datang."
    )
    return [
        QrImage(code=code, caption=f"Kode booking {code}. Tunjukkan di pintu masuk."),
        Buttons(
            details, (Button(f"confirm:{code}", "Konfirmasi"), Button(f"cancel:{code}", "Batal"))
        ),
    ]


class Counting:
    """SQL statements and write transactions on the default connection."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.statements = self.transactions = 0
        self._commit = connection._commit

    def __enter__(self):
        connection = self.connection

        def commit():
            self.transactions += 1
            return self._commit()

        connection._commit = commit
        self.wrapper = connection.execute_wrapper(self._execute)
        self.wrapper.__enter__()
        return self

    def _execute(self, execute, sql, params, many, context):
        head = sql.lstrip()[:8].upper()
        if head.startswith("BEGIN"):
            return execute(sql, params, many, context)
        self.statements += 1
        if not self.connection.in_atomic_block and head.startswith(self.WRITES):
            self.transactions += 1  # autocommit: the statement is its own transaction
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)
        self.connection._commit = self._commit


def with_stub(run) -> int:
    """`run(port)` with the Graph API stand-in listening on `port`; its exit status."""
    stub, port = start_stub()
    try:
        return run(port)
    finally:
        stub.terminate()
        stub.wait()


def main() -> int:
    return with_stub(run)


def run(port: int) -> int:
    setup(port)
    from django.db import connection, transaction
    from django.utils import timezone

    from antrean.offices.demo import seed_demo_offices
    from antrean.offices.models import WhatsAppNumber
    from antrean.whatsapp import outbox
    from antrean.whatsapp.models import Contact, OutboundMessage

    seed_demo_offices()
    number = WhatsAppNumber.objects.order_by("pk").first()
    now = timezone.now()
    total = WARMUP + N
    Contact.objects.bulk_create(
        Contact(number=number, wa_id=f"62858{i:08d}", last_inbound_at=now) for i in range(total)
    )
    contacts = list(Contact.objects.filter(number=number).order_by("pk"))
    # Queue without nudging the task queue: the replies are delivered below, not by a worker.
    outbox._tasks = lambda: type("NoTasks", (), {"deliver_task": staticmethod(lambda _: None)})
    for i, contact in enumerate(contacts):
        with transaction.atomic():
            outbox.enqueue(contact, booking_replies(i), now=now)
    for contact in contacts[:WARMUP]:
        outbox.deliver(contact.pk)
    before = stub_get(port, "/__stats")

    profiler = None
    if PROFILE:
        import cProfile

        profiler = cProfile.Profile()
    sent = 0
    with Counting() as counted:
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        cpu = time.process_time()
        for contact in contacts[WARMUP:]:
            sent += outbox.deliver(contact.pk)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        if profiler:
            profiler.disable()
    if profiler:
        profiler.dump_stats(PROFILE)

    after = stub_get(port, "/__stats")
    records = stub_get(port, "/__records")
    replies = 2 * N
    by_wa_id = defaultdict(list)
    for _at, to, kind in records:
        by_wa_id[to].append(kind)
    checks = {
        "every reply sent": sent == replies,
        "every row sent": not OutboundMessage.objects.exclude(state="sent").exists(),
        "one upload per contact": after["media"] - before["media"] == N,
        "two messages per contact, the image first": all(
            by_wa_id[c.wa_id] == ["image", "interactive"] for c in contacts
        ),
        "nothing refused": after["refused"] == 0,
    }
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "database": connection.vendor,
        "replies": replies,
        "seconds": round(seconds, 3),
        "replies_per_second": round(replies / seconds, 1),
        "ms_per_reply": round(1000 * seconds / replies, 2),
        "cpu_ms_per_reply": round(1000 * cpu / replies, 2),
        "statements_per_reply": round(counted.statements / replies, 2),
        "transactions_per_reply": round(counted.transactions / replies, 2),
        "http_calls_per_reply": round(
            (after["messages"] + after["media"] - before["messages"] - before["media"]) / replies,
            2,
        ),
        "checks": checks,
    }
    print(json.dumps(report, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
