"""core's tasks (R21): sending an outgoing email.

A task takes ids, never secrets or rendered text: what it needs is read when it
runs, so a task row in the queue (or the admin) shows no invitation link.
"""

from django.utils.module_loading import import_string
from django_tasks import task

from core.mail import email_deliver, email_retry


@task()
def send_email(email_id: int, attempt: int = 1) -> str:
    return email_deliver(email_id=email_id, attempt=attempt)


def task_retry(result) -> bool:
    """Staff's Retry of a failed task (admin): run it again with its arguments.

    An email is queued again through core.mail.email_retry (attempts from one,
    and only if it has not gone out); other tasks are idempotent and simply run
    again.
    """
    kwargs = result.args_kwargs.get("kwargs", {})
    if result.task_path == f"{__name__}.send_email":
        return email_retry(email_id=kwargs["email_id"])
    task = import_string(result.task_path)
    task.enqueue(*result.args_kwargs.get("args", []), **kwargs)
    return True
