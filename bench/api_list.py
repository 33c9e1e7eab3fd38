"""The API customers list (a page of 25, token auth) beside a minimal DRF view
of one table (bench/api_reference.py) in the same server, as bench/run.py
measures pages beside its reference page.

    from bench import api_list
    key = api_list.create_token(env)            # env: the server's environment
    figures = api_list.run(base_url, key)        # {"api": ..., "minimal": ..., ...}

The server must run with a raised API_RATE_LIMIT_PER_MINUTE (e.g. 10**9): the
per-token limit would otherwise answer 429 after 120 calls, and both views pass
through it. Only loopback is loaded (bench/load.py's check).
"""

import math
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

from bench import load

ROOT = Path(__file__).resolve().parent.parent
API_PATH = "/api/v1/customers/?page_size=25"
MINIMAL_PATH = "/bench/api-minimal/"
DEMO_EMAIL = "ava.admin@contoso.example"
# Raise the server's limit to this (environment) while measuring.
RATE_LIMIT_ENV = {"API_RATE_LIMIT_PER_MINUTE": str(10**9)}

_TOKEN_CODE = """
from django.contrib.auth import get_user_model
from partners import api_tokens
user = get_user_model().objects.get(email={email!r})
token, key = api_tokens.token_create(
    user=user, name="bench", scope="read", expires_in_days=1
)
print("KEY " + key)
"""


def create_token(env: dict, email: str = DEMO_EMAIL) -> str:
    """A read-only token of ``email`` (a partner user of the seeded database),
    made by the product's own service in a subprocess with ``env``."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _TOKEN_CODE.format(email=email)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("KEY "))
    return line[len("KEY ") :]


def check(base_url: str, key: str) -> None:
    """Both answer 200 with 25 rows (or the database's fewer): else a failure,
    not a timing."""
    headers = {"Authorization": f"Bearer {key}"}
    for path in (API_PATH, MINIMAL_PATH):
        response = httpx.get(base_url + path, headers=headers, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        if not response.json()["results"]:
            raise RuntimeError(f"{path}: no rows")


def measure(
    base_url: str, key: str, path: str, *, seconds: float = 5.0, connections: int = 4
) -> load.Result:
    """``connections`` keep-alive clients for ``seconds`` (bench/load.py's
    Python loader, with a bearer token instead of a session cookie)."""
    return load.run_python(
        base_url=base_url,
        path=path,
        cookie="",
        headers={"Authorization": f"Bearer {key}"},
        seconds=seconds,
        connections=connections,
    )


def _median(values):
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def run(
    base_url: str,
    key: str,
    *,
    seconds: float = 5.0,
    connections: int = 4,
    rounds: int = 3,
    warm: int = 20,
) -> dict:
    """Alternating rounds of the API list and the minimal view; the medians and
    their ratios (API / minimal: p50 and p99 latency, and minimal / API for
    requests per second, so above 1 is slower either way)."""
    check(base_url, key)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        for _ in range(warm):
            http.get(API_PATH)
            http.get(MINIMAL_PATH)
    runs = {"api": [], "minimal": []}
    for _ in range(rounds):
        for name, path in (("api", API_PATH), ("minimal", MINIMAL_PATH)):
            runs[name].append(
                measure(base_url, key, path, seconds=seconds, connections=connections)
            )
    out = {}
    for name, results in runs.items():
        out[name] = {
            "rps": _median([r.rps for r in results]),
            "p50_ms": _median([r.p50_ms for r in results]),
            "p99_ms": _median([r.p99_ms for r in results]),
            "requests": sum(r.requests for r in results),
            "errors": sum(r.status_errors + r.socket_errors for r in results),
        }
    api, minimal = out["api"], out["minimal"]
    out["ratio"] = {
        "p50": api["p50_ms"] / minimal["p50_ms"],
        "p99": api["p99_ms"] / minimal["p99_ms"],
        "rps": minimal["rps"] / api["rps"] if api["rps"] else math.inf,
    }
    return out
