"""The job queue's real components for tests (R21): an SMTP server on loopback
(aiosmtpd), a worker process (``manage.py db_worker``) against the test
database, and an in-process runner for tests that only need the tasks done.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parent.parent


def run_tasks(*, limit: int = 10_000) -> int:
    """Run every task that is due now (by the current, maybe travelled, clock) in
    this process, as the worker would, until none is left; returns how many."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-in-process",
        excluded_queue_names=[],
    )
    done = 0
    while done < limit:
        result = DBTaskResult.objects.ready().first()
        if result is None:
            return done
        result.claim(worker.worker_id)
        worker.run_task(result)
        done += 1
    raise AssertionError(f"more than {limit} tasks: a task that re-enqueues itself?")


def task_results(status=None):
    results = DBTaskResult.objects.all()
    if status:
        results = results.filter(status=status)
    return list(results)


def failed_tasks():
    return task_results(TaskResultStatus.FAILED)


# --- A real SMTP server on loopback ----------------------------------------------


class Mailbox:
    """What the SMTP server received; ``refuse`` makes it answer a code."""

    def __init__(self):
        self.messages = []
        self.refuse = None  # e.g. "550 5.1.1 Mailbox unavailable"
        # hold: keep each message waiting before answering (a worker can be
        # killed mid-send); such a message is then dropped, never delivered.
        self.hold = False
        self.waiting = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        if self.refuse:
            return self.refuse
        if self.hold:
            self.waiting = True
            while self.hold:
                await asyncio.sleep(0.05)
            return "451 4.3.0 Held and dropped"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(
            f"{len(self.messages)} of {count} emails arrived in {timeout} s"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1: start(), stop() (then connections are refused)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- A real worker process -------------------------------------------------------


def database_url() -> str:
    """The test database, as a URL the worker process can open."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


class WorkerProcess:
    """``manage.py db_worker`` in its own process, against the test database."""

    def __init__(self, *, smtp_url: str, log: Path, **env):
        self.smtp_url = smtp_url
        self.log = log
        self.env = env
        self.process = None

    def start(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": self.smtp_url,
            "TASK_RETRY_BASE_SECONDS": "0.5",
            "TASK_RETRY_MAX_SECONDS": "2",
            "WORKER_HEARTBEAT_SECONDS": "0.3",
            "WORKER_LOST_SECONDS": "1.5",
            "LOG_LEVEL": "WARNING",
            **{key: str(value) for key, value in self.env.items()},
        }
        self.log_file = open(self.log, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(  # noqa: S603 (our own command)
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "--no-reload",
                "--queue-name",
                "*",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self):
        """SIGKILL: no clean-up at all, as a crash or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process:
            self.log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(predicate, *, timeout: float = 20, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def break_mail(monkeypatch, exc: BaseException) -> None:
    """The in-memory email backend raises ``exc`` for every message, as a mail
    server that is down (OSError, SMTPServerDisconnected) or refuses (5xx)."""

    def broken(self, messages):
        raise exc

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", broken
    )
