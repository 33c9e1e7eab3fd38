"""The queue benchmark (issue 13): real workers sending real email to a local SMTP.

    python -m bench.queue --out FILE [--emails 10000] [--timeout 900]

Run by bench/run.py in its own process, with the run's environment (bench.settings,
its SECRET_KEY and DATABASE_URL). Three rounds, each on a fresh queue:

1. one worker, 2. two workers: ``--emails`` emails queued through
   ``core.mail.email_queue`` (in transactions of 500), an aiosmtpd server on a free
   port of 127.0.0.1, then the workers (``manage.py db_worker``) started; timed from
   their start until every email has arrived: emails per second.
3. kill: two workers; at half the emails delivered one is killed with SIGKILL and a
   replacement started; the round ends when every email has arrived.

Each email's subject carries its number ("bench #123"), so the SMTP side counts
distinct and duplicate deliveries: lost = emails - distinct, duplicates = total -
distinct. A round passes when nothing is lost, every OutgoingEmail ends "sent", every
task ends successful, and there are no more duplicates than workers killed (the
tasks in flight at the kill). Writes JSON to --out (stdout carries the portal's JSON
logs); progress goes to stderr.
"""

import argparse
import collections
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django_tasks_db.compat import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from core.mail import email_queue  # noqa: E402
from core.models import OutgoingEmail, WorkerHeartbeat  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SUBJECT = "bench #"
BATCH = 500
# Short, so a killed worker's task runs again within seconds.
HEARTBEAT_SECONDS = 1
LOST_SECONDS = 3
# The figures' rounds: (name, workers, kill one at half the emails).
ROUNDS = [
    ("1 worker", 1, False),
    ("2 workers", 2, False),
    ("2 workers, one killed", 2, True),
]
_SUBJECT_RE = re.compile(rb"^Subject: bench #(\d+)\r?$", re.MULTILINE)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the SMTP side ----------------------------------------------------------------


class Tally:
    """aiosmtpd handler: counts the messages it accepts by their bench number."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.total = 0
        self.other = 0  # messages without a bench number (none expected)
        self.first_at = None  # monotonic time of the first message
        self.last_new_at = None  # monotonic time of the latest first delivery

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        found = _SUBJECT_RE.search(envelope.content)
        now = time.monotonic()
        with self.lock:
            self.total += 1
            self.first_at = self.first_at or now
            if found is None:
                self.other += 1
            else:
                number = int(found.group(1))
                if number not in self.counts:
                    self.last_new_at = now
                self.counts[number] += 1
        return "250 OK"

    def distinct(self) -> int:
        with self.lock:
            return len(self.counts)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "total": self.total,
                "distinct": len(self.counts),
                "other": self.other,
                "duplicated": sorted(n for n, c in self.counts.items() if c > 1),
                "numbers": set(self.counts),
            }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Smtp:
    def __init__(self):
        self.port = free_port()
        self.tally = Tally()
        self.controller = Controller(self.tally, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "Smtp":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


# --- the workers ------------------------------------------------------------------


class Worker:
    """``manage.py db_worker`` in its own process; every one started is stopped."""

    started: list["Worker"] = []

    def __init__(self, worker_id: str, smtp_url: str, log: Path):
        self.worker_id, self.smtp_url, self.log = worker_id, smtp_url, log
        self.process = None

    def start(self) -> "Worker":
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "EMAIL_URL": self.smtp_url,
            "WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
            "WORKER_LOST_SECONDS": str(LOST_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own command)
                [
                    sys.executable, "manage.py", "db_worker",
                    "--interval", "0.05", "--no-startup-delay", "--no-reload",
                    "--worker-id", self.worker_id,
                ],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        Worker.started.append(self)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as a crash or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    @classmethod
    def stop_all(cls) -> None:
        for worker in cls.started:
            worker.stop()


# --- the database side ------------------------------------------------------------


def reset_queue() -> None:
    """An empty queue: every task, worker row and earlier bench email deleted."""
    DBTaskResult.objects.all().delete()
    WorkerHeartbeat.objects.all().delete()
    OutgoingEmail.objects.filter(subject__startswith=SUBJECT).delete()


def queue_emails(count: int) -> float:
    """``count`` emails and their tasks, through the portal's own email_queue."""
    t0 = time.monotonic()
    for start in range(0, count, BATCH):
        with transaction.atomic():
            for number in range(start, min(start + BATCH, count)):
                email_queue(
                    to=f"customer{number}@bench.example",
                    subject=f"{SUBJECT}{number}",
                    body=f"Benchmark email number {number}.\n",
                    reply_to="partner@bench.example",
                    language="en",
                )
    return time.monotonic() - t0


def analyze() -> None:
    """PostgreSQL: statistics of the freshly filled queue, as autovacuum would take
    within a minute of the bulk insert (as bench.dbtasks analyze does after the
    seed). Without them the planner reads and sorts every ready task to claim
    one (a bitmap scan, ~8 ms at 6,000 ready) instead of walking the library's
    ordering index to the first. SQLite keeps no statistics unless asked."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (DBTaskResult, OutgoingEmail):
            cursor.execute(
                f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
            )


def in_flight(worker_id: str) -> int:
    """Tasks marked running by this worker (its task in flight, if any)."""
    running = DBTaskResult.objects.running().values_list("worker_ids", flat=True)
    return sum(1 for ids in running if ids and ids[-1] == worker_id)


def queue_state() -> dict:
    emails = dict(
        OutgoingEmail.objects.filter(subject__startswith=SUBJECT)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    tasks = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("pk")))
    reruns = sum(
        1
        for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)
        if len(ids or []) > 1
    )
    return {"emails": emails, "tasks": tasks, "task_reruns": reruns}


def settled(count: int) -> bool:
    """Every bench email marked sent and no task left ready or running."""
    state = queue_state()
    busy = state["tasks"].get(TaskResultStatus.READY, 0) + state["tasks"].get(
        TaskResultStatus.RUNNING, 0
    )
    return state["emails"].get(OutgoingEmail.Status.SENT, 0) == count and not busy


# --- one round --------------------------------------------------------------------


class Round:
    """One round: fresh emails, an SMTP server, the workers; what arrived."""

    def __init__(self, index: int, name: str, workers: int, kill: bool, opts):
        self.index, self.name, self.workers, self.kill = index, name, workers, kill
        self.count, self.timeout = opts.emails, opts.timeout
        self.log = RESULTS / f"queue-worker-{index}.log"
        self.pool: list[Worker] = []
        self.problems: list[str] = []
        self.killed, self.killed_in_flight, self.killed_at = 0, 0, None
        self.victim = None

    def start_worker(self, smtp: Smtp) -> Worker:
        worker_id = f"bench-{self.index}-{len(self.pool)}"
        self.pool.append(Worker(worker_id, smtp.url, self.log).start())
        return self.pool[-1]

    def kill_one(self, smtp: Smtp, t0: float) -> None:
        """SIGKILL the first worker, note its task in flight, start a replacement."""
        victim = self.victim = self.pool[0]
        victim.kill()
        self.killed, self.killed_at = 1, time.monotonic() - t0
        self.killed_in_flight = in_flight(victim.worker_id)
        connection.close()
        replacement = self.start_worker(smtp)
        say(
            f"    killed {victim.worker_id} at {self.killed_at:.1f} s "
            f"({smtp.tally.distinct()} delivered, {self.killed_in_flight} task in "
            f"flight); started {replacement.worker_id}"
        )

    def deliver(self, smtp: Smtp, t0: float) -> None:
        """Until every email has arrived, a worker died or the round timed out."""
        deadline = t0 + self.timeout
        while smtp.tally.distinct() < self.count:
            if time.monotonic() > deadline:
                self.problems.append(
                    f"timed out after {self.timeout:g} s with "
                    f"{smtp.tally.distinct()} of {self.count} delivered"
                )
                return
            half = smtp.tally.distinct() >= self.count // 2
            if self.kill and not self.killed and half:
                self.kill_one(smtp, t0)
            dead = [w for w in self.pool if not w.alive() and w is not self.victim]
            if dead:
                self.problems.append(
                    f"worker {dead[0].worker_id} exited with "
                    f"{dead[0].process.returncode}; see {self.log.name}"
                )
                return
            time.sleep(0.05)

    def settle(self) -> None:
        """The last emails arrive before they are marked sent: wait for the
        database (and for any late duplicate)."""
        deadline = time.monotonic() + max(15, 4 * LOST_SECONDS)
        while not self.problems and time.monotonic() < deadline:
            if settled(self.count):
                break
            connection.close()
            time.sleep(0.2)
        time.sleep(0.5)

    def run(self) -> dict:
        reset_queue()
        queued_s = queue_emails(self.count)
        analyze()
        say(
            f"  queue round {self.index}, {self.name}: {self.count} emails queued in "
            f"{queued_s:.1f} s"
        )
        self.log.write_bytes(b"")
        connection.close()
        with Smtp() as smtp:
            t0 = time.monotonic()
            try:
                for _ in range(self.workers):
                    self.start_worker(smtp)
                self.deliver(smtp, t0)
                tally = smtp.tally
                first, last_new = tally.first_at, tally.last_new_at
                elapsed = (last_new or time.monotonic()) - t0
                self.settle()
            finally:
                for worker in self.pool:
                    worker.stop()
            got = smtp.tally.snapshot()
        state = queue_state()
        connection.close()
        result = self.judge(got, state)
        rate = self.count / elapsed if elapsed and not result["lost"] else float("nan")
        result.update(
            queued_s=queued_s,
            seconds=elapsed,
            first_s=first - t0 if first else None,
            emails_per_s=rate,
        )
        say(
            f"    {result['distinct']}/{self.count} delivered in {elapsed:.1f} s "
            f"({rate:.0f} emails/s), {result['duplicates']} duplicates — "
            f"{'PASS' if result['pass'] else 'FAIL'}"
        )
        return result

    def judge(self, got: dict, state: dict) -> dict:
        """Lost, duplicated, left unsent: the round's figures and its problems."""
        count, problems = self.count, self.problems
        distinct = got["distinct"]
        lost = count - distinct
        duplicates = got["total"] - got["other"] - distinct
        sent = state["emails"].get(OutgoingEmail.Status.SENT, 0)
        successful = state["tasks"].get(TaskResultStatus.SUCCESSFUL, 0)
        if lost:
            missing = sorted(set(range(count)) - got["numbers"])[:10]
            examples = ", #".join(map(str, missing))
            problems.append(f"{lost} lost (e.g. bench #{examples})")
        if duplicates > self.killed:
            problems.append(
                f"{duplicates} duplicates, more than the {self.killed} worker(s) killed"
            )
        if sent != count:
            problems.append(f"{sent} of {count} OutgoingEmail sent: {state['emails']}")
        if successful != sum(state["tasks"].values()):
            problems.append(f"tasks not all successful: {state['tasks']}")
        if got["other"]:
            problems.append(f"{got['other']} messages without a bench number")
        return {
            "round": self.name,
            "workers": self.workers,
            "emails": count,
            "delivered": got["total"],
            "distinct": distinct,
            "lost": lost,
            "duplicates": duplicates,
            "duplicated": got["duplicated"][:20],
            "killed": self.killed,
            "killed_at_s": self.killed_at,
            "killed_in_flight": self.killed_in_flight,
            "task_reruns": state["task_reruns"],
            "email_status": state["emails"],
            "task_status": state["tasks"],
            "problems": problems,
            "pass": not problems,
        }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=900, help="s per round")
    return parser.parse_args(argv)


def main() -> int:
    opts = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    rounds = []
    try:
        for index, (name, workers, kill) in enumerate(ROUNDS, start=1):
            rounds.append(Round(index, name, workers, kill, opts).run())
    finally:
        Worker.stop_all()
    reset_queue()
    opts.out.write_text(
        json.dumps(
            {
                "vendor": connection.vendor,
                "emails": opts.emails,
                "heartbeat_s": HEARTBEAT_SECONDS,
                "lost_s": LOST_SECONDS,
                "rounds": rounds,
            },
            indent=1,
        )
    )
    return 0


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
