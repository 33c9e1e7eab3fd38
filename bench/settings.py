"""Production settings, relaxed only for what plain HTTP on 127.0.0.1 needs.

The benchmark talks to gunicorn over http://127.0.0.1 without TLS, so:

- secure-only cookies are off (a client would otherwise never send the session or
  CSRF cookie back over plain HTTP) and the HTTPS redirect is off;
- the URLconf adds the reference page (``bench.urls``) to the product's URLs, and
  the template path adds its one template; the product's URLs stay untouched;
- static files are collected under bench/results/ so a run leaves the tree clean.

Everything else (DEBUG off, cached template loaders, WhiteNoise with hashed names,
persistent connections, the middleware, password hashing) is production as is.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import BASE_DIR, TEMPLATES, env

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
STATIC_ROOT = BASE_DIR / "bench" / "results" / "staticfiles"

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
# HSTS is meaningless over http; sent anyway it would only add a header.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
