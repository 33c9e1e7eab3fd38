"""The concurrency check's clients: real customer administrators, over HTTP.

Each goes the whole way a person goes: the link (dispatcher), the experience page,
sign in, then the Accept button (POST with the CSRF token). A barrier holds every
client just before that POST, so the acceptances reach the server together.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

ACCEPTED_MARK = "is now your partner"
TIMEOUT = httpx.Timeout(120.0)


@dataclass
class Outcome:
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    accepted_pages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, response: httpx.Response) -> httpx.Response:
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def _expect(outcome: Outcome, response: httpx.Response, status: int, step: str) -> bool:
    outcome.record(response)
    if response.status_code != status:
        outcome.problems.append(f"{step}: {response.status_code}, expected {status}")
        return False
    return True


def _sign_in(
    http: httpx.Client, outcome: Outcome, *, link: str, email: str, password: str
):
    """Open the link and sign in on the experience page; the page's URL, or None."""
    response = http.get(link)
    if not _expect(outcome, response, 302, "dispatcher"):
        return None
    page = response.headers["location"]
    if not _expect(outcome, http.get(page), 200, "experience page"):
        return None
    response = http.post(
        page,
        data={
            "action": "signin",
            "email": email,
            "password": password,
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
        },
    )
    if not _expect(outcome, response, 302, "sign in"):
        return None
    # Signing in rotates the CSRF token: read the page again, as a browser would.
    if not _expect(outcome, http.get(page), 200, "signed-in experience page"):
        return None
    return page


def _accept(
    http: httpx.Client, outcome: Outcome, page: str, token: str, invitation_id: int
) -> None:
    """POST Accept, naming the invitation shown as the page's form does. The first
    click redirects to the result; a click that arrives after another one committed
    is shown the result page at once (R9)."""
    response = http.post(
        page,
        data={
            "action": "accept",
            "invitation": str(invitation_id),
            "csrfmiddlewaretoken": token,
        },
    )
    if response.status_code == 200 and ACCEPTED_MARK in response.text:
        outcome.record(response)
        return
    _expect(outcome, response, 302, "accept")


def _check_accepted(http: httpx.Client, outcome: Outcome, page: str, who: str) -> None:
    response = http.get(page)
    if _expect(outcome, response, 200, "result page"):
        if ACCEPTED_MARK in response.text:
            with outcome.lock:
                outcome.accepted_pages += 1
        else:
            outcome.problems.append(f"{who}: the result page does not say accepted")


def many_invitations(*, base_url: str, accepters: list[dict], password: str) -> Outcome:
    """Each accepter signs in and accepts its own invitation, all at once."""
    outcome = Outcome()
    barrier = threading.Barrier(len(accepters), timeout=300)

    def one(fixture: dict) -> None:
        with httpx.Client(base_url=base_url, timeout=TIMEOUT) as http:
            try:
                page = _sign_in(
                    http,
                    outcome,
                    link=fixture["link"],
                    email=fixture["email"],
                    password=password,
                )
            except httpx.HTTPError as exc:
                outcome.problems.append(f"{fixture['email']}: {exc!r}")
                page = None
            if page is None:
                barrier.abort()  # the others would wait for ever
                return
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                outcome.problems.append(f"{fixture['email']}: barrier broken")
                return
            try:
                _accept(
                    http,
                    outcome,
                    page,
                    http.cookies["csrftoken"],
                    fixture["invitation_id"],
                )
                _check_accepted(http, outcome, page, fixture["email"])
            except httpx.HTTPError as exc:
                outcome.problems.append(f"{fixture['email']}: {exc!r}")

    with ThreadPoolExecutor(max_workers=len(accepters)) as pool:
        list(pool.map(one, accepters))
    return outcome


def many_clicks(*, base_url: str, fixture: dict, password: str, clicks: int) -> Outcome:
    """One administrator, signed in once, clicks Accept ``clicks`` times at once."""
    outcome = Outcome()
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as http:
        page = _sign_in(
            http,
            outcome,
            link=fixture["link"],
            email=fixture["email"],
            password=password,
        )
        if page is None:
            return outcome
        cookies = dict(http.cookies.items())
    barrier = threading.Barrier(clicks, timeout=120)

    def click(_: int) -> None:
        # Each click its own connection, all carrying the same session.
        with httpx.Client(base_url=base_url, timeout=TIMEOUT, cookies=cookies) as http:
            barrier.wait()
            try:
                _accept(
                    http, outcome, page, cookies["csrftoken"], fixture["invitation_id"]
                )
            except httpx.HTTPError as exc:
                outcome.problems.append(f"click: {exc!r}")

    with ThreadPoolExecutor(max_workers=clicks) as pool:
        list(pool.map(click, range(clicks)))
    with httpx.Client(base_url=base_url, timeout=TIMEOUT, cookies=cookies) as http:
        _check_accepted(http, outcome, page, fixture["email"])
    return outcome
