"""`manage.py db_worker`: django-tasks-db's worker, plus crash recovery (R21).

django-tasks-db claims a task by marking it running; a worker killed with
SIGKILL (or a machine that vanished) would leave it running forever. Here every
worker keeps a heartbeat row (core.WorkerHeartbeat) fresh from a small thread,
and each worker, at start and on every beat, puts back to "ready" the tasks
still marked running by a worker silent for WORKER_LOST_SECONDS: they run again.
Tasks are idempotent (core.mail.email_deliver skips what was sent), so a task
cut off mid-way repeats at most its own side effect.
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker as library
from django_tasks_db.models import DBTaskResult

from core.models import WorkerHeartbeat

logger = logging.getLogger("core.worker")


def recover_lost_tasks(*, now=None) -> int:
    """Tasks marked running by a worker that stopped beating: ready again.

    The running tasks are read before the live workers: a worker beats before
    it claims, so one that claims in between is seen alive. Each task is put
    back only if it is still the same claim (its ``started_at``): a task another
    worker recovered and re-claimed meanwhile is left to run.
    """
    now = now or timezone.now()
    running = list(
        DBTaskResult.objects.running().values_list("id", "worker_ids", "started_at")
    )
    if not running:
        return 0
    alive = set(
        WorkerHeartbeat.objects.filter(
            seen_at__gte=now - timedelta(seconds=settings.WORKER_LOST_SECONDS)
        ).values_list("worker_id", flat=True)
    )
    count = 0
    with transaction.atomic():
        for task_id, worker_ids, started_at in running:
            if worker_ids and worker_ids[-1] in alive:
                continue
            count += DBTaskResult.objects.filter(
                pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at
            ).update(status=TaskResultStatus.READY, started_at=None)
        WorkerHeartbeat.objects.filter(
            seen_at__lt=now - timedelta(seconds=settings.WORKER_LOST_SECONDS)
        ).delete()
    if count:
        logger.warning(
            "tasks of lost workers run again",
            extra={"event": "tasks_recovered", "count": count},
        )
    return count


class Heartbeat(threading.Thread):
    """Refresh this worker's row; recover other workers' lost tasks."""

    def __init__(self, worker_id: str):
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "seen_at": timezone.now(),
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
            },
        )

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                self.beat()
                recover_lost_tasks()
            except Exception:  # a busy database: try again on the next beat
                logger.exception(
                    "heartbeat failed", extra={"event": "heartbeat_failed"}
                )
            self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        finally:
            connection.close()


class Worker(library.Worker):
    def run(self) -> None:
        heartbeat = Heartbeat(self.worker_id)
        # The first beat before the first task: a new worker recovers at once.
        heartbeat.beat()
        recover_lost_tasks()
        heartbeat.start()
        try:
            super().run()
        finally:
            heartbeat.stopped.set()
            heartbeat.join(timeout=5)


class Command(library.Command):
    help = "Run the job queue's worker (django-tasks-db, with crash recovery)"

    def handle(self, *args, **options):
        # The library's handle() builds its worker by this module-level name.
        library.Worker = Worker
        return super().handle(*args, **options)
