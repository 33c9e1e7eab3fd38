"""Issue 12: every page of the catalogue (tests/pages.py), rendered in English,
French and German, validates with the Nu HTML checker with 0 errors.

The checker is vnu-jar from the npm registry, pinned in package-lock.json and
installed by ``make install`` (``npm ci``) into node_modules/. It is slow to start,
so all the pages go to one Java run. Without Java or the jar the test skips, except
in CI (CI=true), where a missing checker is a failure.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests import pages

pytestmark = [pytest.mark.html, pytest.mark.every_page, pytest.mark.django_db]

VNU_JAR = Path(settings.BASE_DIR) / "node_modules/vnu-jar/build/dist/vnu.jar"
LANGUAGES = ["en", "fr", "de"]
# Pages rendered outside a request (the error handlers render them this way).
STANDALONE_TEMPLATES = ["500.html", "503.html"]


def _checker():
    java = shutil.which("java")
    if java and VNU_JAR.exists():
        return java
    why = f"the Nu HTML checker needs java ({java or 'missing'}) and {VNU_JAR}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {why}: run `make install` (npm ci).")
    pytest.skip(f"{why}: run `make install`")


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_every_page(directory: Path) -> tuple[dict, list]:
    """Write each page of the catalogue in each language to ``directory``.

    Returns {file name: (language, visitor, page)} and the pages whose status was
    not the expected one (they are still validated).
    """
    visitors = pages.build()
    written, wrong_status = {}, []
    for language in LANGUAGES:
        for visitor in visitors.values():
            client = Client(raise_request_exception=False)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            if visitor.user is not None:
                client.force_login(visitor.user)
            for page in visitor.pages:
                response = client.get(page.path, follow=True)
                where = f"{language} {visitor.key}: {page.name} {page.path}"
                if response.status_code != page.status:
                    wrong_status.append(f"{where} answered {response.status_code}")
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                name = f"{language}--{visitor.key}--{_slug(page.name)}.html"
                (directory / name).write_bytes(response.content)
                written[name] = where
        for template in STANDALONE_TEMPLATES:
            with translation.override(language):
                html = render_to_string(template)
            name = f"{language}--standalone--{_slug(template)}.html"
            (directory / name).write_text(html, encoding="utf-8")
            written[name] = f"{language} {template}"
    return written, wrong_status


def run_vnu(java, files):
    """One Java run over every file; the checker's error messages."""
    result = subprocess.run(
        [
            java,
            "-Xss4m",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            "--stdout",
            *[str(f) for f in files],
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = json.loads(result.stdout or result.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu did not answer JSON: {result.stdout}\n{result.stderr}")
    return [m for m in report.get("messages", []) if m.get("type") != "info"]


# Checked in the same Java run: proves the checker ran and its report was read.
CANARY = "canary.html"
CANARY_HTML = '<!doctype html><html lang="en"><title>x</title><time datetime="x">'


def test_every_page_validates_with_the_nu_html_checker(tmp_path):
    java = _checker()
    written, wrong_status = render_every_page(tmp_path)
    assert written, "no page was rendered"
    (tmp_path / CANARY).write_text(CANARY_HTML, encoding="utf-8")
    messages = run_vnu(java, sorted(tmp_path.glob("*.html")))

    errors, canary = [], []
    for message in messages:
        name = Path(message.get("url", "").removeprefix("file:")).name
        if name == CANARY:
            canary.append(message)
            continue
        extract = " ".join(message.get("extract", "").split())[:80]
        errors.append(
            f"{name} ({written.get(name, '?')}) line {message.get('lastLine', '?')}: "
            f"{message.get('message')} [{extract}]"
        )
    assert canary, "the Nu HTML checker did not report the canary's bad <time>"
    problems = []
    if errors:
        problems += [f"{len(errors)} Nu HTML checker errors:", *errors]
    if wrong_status:
        problems += ["pages with an unexpected status:", *wrong_status]
    assert problems == [], "\n".join(problems)
