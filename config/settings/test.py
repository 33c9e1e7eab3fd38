"""Test settings: fast hashing, in-memory email, static files without a manifest."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES, env

SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory, except for a real worker process started by a test, which is given
# the loopback SMTP server's EMAIL_URL (tests/queue.py).
if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["*"]

# Parallel runs on one PostgreSQL server each need their own test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the queue's tests start a real worker process, which
    # must see the test database (on tmpfs where there is one: as fast).
    # The file's name holds the test run's pid: no other user's file is reused.
    shm = "/dev/shm"  # noqa: S108
    scratch = shm if os.path.isdir(shm) else tempfile.gettempdir()
    DATABASES["default"]["TEST"]["NAME"] = DATABASES["default"]["TEST"][
        "NAME"
    ] or os.path.join(scratch, f"portal-test-{os.getpid()}.sqlite3")
