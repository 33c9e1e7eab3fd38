"""Bounded HTTP load on 127.0.0.1: wrk when installed, else threads of httpx.

Both stop after ``seconds``; the Python client also after ``max_requests``. Each
run returns requests/s, p50 and p99 latency in milliseconds, and error counts:
``status_errors`` are answers outside 2xx/3xx, ``socket_errors`` connections that
failed or timed out.
"""

import json
import math
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

LUA = Path(__file__).with_name("wrk_report.lua")


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    status_errors: int
    socket_errors: int


def _check_loopback(base_url: str) -> None:
    host = httpx.URL(base_url).host
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host}: the benchmark only loads loopback")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    *, base_url: str, path: str, cookie: str, seconds: float, connections: int
) -> Result:
    _check_loopback(base_url)
    seconds = max(1, math.ceil(seconds))
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url + path,
    ]
    env = {**os.environ, "BENCH_COOKIE": cookie}
    # wrk stops itself after -d; the timeout only guards against a hung wrk.
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 30
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    data = json.loads(line[len("BENCH ") :])
    return Result(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        status_errors=data["status_errors"],
        socket_errors=data["socket_errors"],
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    index = min(
        len(sorted_values) - 1, max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    )
    return sorted_values[index]


def run_python(
    *,
    base_url: str,
    path: str,
    cookie: str,
    seconds: float,
    connections: int,
    max_requests: int = 200_000,
    headers: dict | None = None,
) -> Result:
    """The fallback: one thread and one keep-alive connection per simulated client.

    ``headers`` replace the session cookie (e.g. an API token)."""
    _check_loopback(base_url)
    latencies: list[float] = []
    counts = {"requests": 0, "status": 0, "socket": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        own: list[float] = []
        status = socket = 0
        with httpx.Client(
            base_url=base_url, headers=headers or {"Cookie": cookie}, timeout=10.0
        ) as http:
            while time.perf_counter() < deadline:
                with lock:
                    if counts["requests"] >= max_requests:
                        break
                    counts["requests"] += 1
                start = time.perf_counter()
                try:
                    response = http.get(path)
                except httpx.HTTPError:
                    socket += 1
                    continue
                own.append(time.perf_counter() - start)
                if response.status_code >= 400:
                    status += 1
        with lock:
            latencies.extend(own)
            counts["status"] += status
            counts["socket"] += socket

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(
        rps=len(latencies) / elapsed,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        requests=len(latencies),
        status_errors=counts["status"],
        socket_errors=counts["socket"],
    )


def run(*, loader: str, **kwargs) -> Result:
    return run_wrk(**kwargs) if loader == "wrk" else run_python(**kwargs)
