"""gdap's tasks (R21, R23, R35): end reminders and the end itself.

Each takes ids and the end date it was scheduled for; it does nothing if the
relationship has changed since (extended, terminated, auto-extend turned on).
"""

from datetime import datetime

from django_tasks import task

from gdap import services


@task()
def relationship_remind(relationship_id: int, days_before: int, ends_at: str) -> str:
    return services.admin_relationship_remind(
        relationship_id=relationship_id,
        days_before=days_before,
        ends_at=datetime.fromisoformat(ends_at),
    )


@task()
def relationship_end_due(relationship_id: int, ends_at: str = "") -> str:
    return services.admin_relationship_end(relationship_id=relationship_id)
