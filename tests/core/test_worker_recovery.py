"""R21: the tasks of a worker that stopped beating run again; nobody else's."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.management.commands.db_worker import recover_lost_tasks
from core.models import WorkerHeartbeat
from tests import factories

pytestmark = pytest.mark.django_db


def claimed_by(worker_id):
    task = factories.queued_task()
    task.claim(worker_id)
    return DBTaskResult.objects.get(pk=task.pk)


def beat(worker_id, ago):
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, seen_at=timezone.now() - timedelta(seconds=ago)
    )


def test_a_silent_workers_task_is_ready_again_a_live_ones_is_left(settings):
    settings.WORKER_LOST_SECONDS = 30
    beat("alive", ago=2)
    beat("dead", ago=60)
    alive_task = claimed_by("alive")
    dead_task = claimed_by("dead")
    never_beat = claimed_by("unknown")

    assert recover_lost_tasks() == 2
    assert DBTaskResult.objects.get(pk=alive_task.pk).status == "RUNNING"
    for task in (dead_task, never_beat):
        fresh = DBTaskResult.objects.get(pk=task.pk)
        assert fresh.status == "READY" and fresh.started_at is None
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == [
        "alive"
    ]


def test_a_task_claimed_again_meanwhile_is_not_put_back(settings, monkeypatch):
    """Two recoveries at once: the second must not undo the new claim."""
    beat("dead", ago=600)
    task = claimed_by("dead")
    # What this recovery read: the task, claimed by the dead worker...
    snapshot = list(
        DBTaskResult.objects.running().values_list("id", "worker_ids", "started_at")
    )

    class AsRead:
        def values_list(self, *fields):
            return snapshot

    monkeypatch.setattr(type(DBTaskResult.objects), "running", lambda self: AsRead())
    # ...then another worker recovered it and claimed it, before this one wrote.
    DBTaskResult.objects.filter(pk=task.pk).update(status="READY")
    DBTaskResult.objects.get(pk=task.pk).claim("new-worker")
    assert recover_lost_tasks() == 0
    assert DBTaskResult.objects.get(pk=task.pk).status == "RUNNING"
