"""R40: how many webhook events a second one endpoint receives, and that none is
lost or sent twice.

    .venv/bin/python -m bench.webhook_delivery [n]     # a scratch SQLite database

``run(n)`` (in a configured Django process whose database may be written to)
makes a partner and an endpoint pointing at a receiver on loopback, emits ``n``
events in one transaction as the signal receivers do, then runs the delivery
task (the worker's code, in this process) until nothing is pending. Each request
is signed and checked by the receiver with the documented verification.
Returns {"events": n, "seconds": ..., "per_second": ..., "lost": 0, ...}.
"""

import hashlib
import hmac
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _receiver(secret_box: dict):
    seen = []
    bad = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (http.server)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = dict(
                p.split("=", 1) for p in self.headers["Portal-Signature"].split(",")
            )
            signed = f"{parts['t']}.".encode() + body
            expected = hmac.new(
                secret_box["secret"].encode(), signed, hashlib.sha256
            ).hexdigest()
            with lock:
                if hmac.compare_digest(expected, parts["v1"]):
                    seen.append(json.loads(body)["id"])
                else:
                    bad.append(body)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen, bad


def run(n: int = 1000) -> dict:
    from django.db import transaction
    from django.test import override_settings
    from django.utils import timezone

    from api import webhooks
    from api.models import WebhookDelivery
    from api.webhook_tasks import deliver_pending
    from partners.models import Cloud, Partner

    box = {}
    server, seen, bad = _receiver(box)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
            partner = Partner.objects.create(
                name="Webhook bench", country="FR", cloud=Cloud.PUBLIC
            )
            endpoint, box["secret"] = webhooks.endpoint_create(
                partner=partner,
                actor=None,
                url=url,
                events=["service-request-updated"],
            )
            with transaction.atomic():
                for i in range(n):
                    webhooks.emit(
                        partner_id=partner.pk,
                        event_name="service-request-updated",
                        resource_uri=f"https://portal.example/api/v1/service-requests/{i}/",
                        resource_name=f"SR-{i}",
                        occurred_at=timezone.now(),
                    )
            started = time.perf_counter()
            pending = WebhookDelivery.objects.filter(
                endpoint=endpoint, status="pending"
            )
            while pending.exists():
                deliver_pending(endpoint.pk)
            seconds = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    ids = {
        str(i)
        for i in WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
            "event_id", flat=True
        )
    }
    return {
        "events": n,
        "seconds": round(seconds, 3),
        "per_second": round(n / seconds, 1) if seconds else None,
        "lost": len(ids - set(seen)),
        "duplicates": len(seen) - len(set(seen)),
        "bad_signatures": len(bad),
    }


def main(argv=None) -> int:
    import os

    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 1000
    scratch = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    import django
    from django.core.management import call_command

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    figures = run(n)
    print(json.dumps(figures))
    return 0 if figures["lost"] == 0 and not figures["bad_signatures"] else 1


if __name__ == "__main__":
    sys.exit(main())
