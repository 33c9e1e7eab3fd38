"""Issue 12: every page of the portal (tests/pages.py), at 360 px and 1366 px, in
English, French and German: no page wider than the window, no table cell whose text
breaks inside a word or is cut off, and no serious or critical axe-core violation.

One test is one visitor × language × width: one browser context opens that
visitor's pages in turn, every failure is collected, and the test fails once with
the whole list (page, check, element). The checks read computed styles and
geometry, not screenshots.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from tests import pages
from tests.browser.conftest import _watch_console

pytestmark = [pytest.mark.browser, pytest.mark.every_page]

LANGUAGES = ["en", "fr", "de"]
WIDTHS = [360, 1366]
# axe-core, as shipped (and pinned) by axe-playwright-python, loaded into every
# document of the context before the page's own scripts (CSP does not apply).
AXE_SCRIPT = Axe().axe_script
# The WCAG 2.x A and AA rules (the portal's target), violations only.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}
SERIOUS = {"serious", "critical"}
# axe-core reads the DOM, which is the same at every width; it runs once per page
# and language, at the narrow width, where the most is restyled (stacked tables,
# wrapped navigation). The layout checks run at both widths.
AXE_WIDTH = 360

# Runs in the page: the layout checks. Returns a list of {check, element, detail}.
LAYOUT_CHECKS = """
() => {
  const failures = [];
  const width = window.innerWidth;
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (el.classList.length) text += "." + [...el.classList].join(".");
    const label = el.getAttribute("data-label");
    if (label) text += `[data-label="${label}"]`;
    const words = (el.innerText || "").trim().replace(/\\s+/g, " ");
    return words ? `${text} "${words.slice(0, 60)}"` : text;
  };

  // 1. No page wider than the window; name the elements that stick out.
  for (const [name, el] of [["html", document.documentElement],
                            ["body", document.body]]) {
    if (el.scrollWidth > width) {
      const culprits = [...document.body.querySelectorAll("*")].filter((e) => {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.right <= width + 1) return false;
        // Only the outermost element that sticks out (not its children too).
        const p = e.parentElement;
        return !p || p.getBoundingClientRect().right <= width + 1;
      });
      failures.push({
        check: "page wider than the window",
        element: culprits.slice(0, 4).map(describe).join(" | ") || name,
        detail: `${name} scrollWidth ${el.scrollWidth} > innerWidth ${width}`,
      });
      break;
    }
  }

  // A ruler in the cell's font: how wide a word is, unbroken.
  const ruler = document.createElement("span");
  ruler.style.cssText = "position:absolute;visibility:hidden;white-space:nowrap;"
    + "left:-10000px;top:0";
  document.body.appendChild(ruler);
  const widest = (el, text) => {
    const cs = getComputedStyle(el);
    ruler.style.font = cs.font;
    ruler.style.letterSpacing = cs.letterSpacing;
    ruler.style.textTransform = cs.textTransform;
    let best = ["", 0];
    for (const word of text.split(/\\s+/)) {
      if (!word) continue;
      ruler.textContent = word;
      const w = ruler.getBoundingClientRect().width;
      if (w > best[1]) best = [word, w];
    }
    return best;
  };
  const contentWidth = (el) => {
    const cs = getComputedStyle(el);
    return el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  };

  // Shown only to screen readers (the stacked table's thead, .visually-hidden).
  const visuallyHidden = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if ((cs.clip !== "auto" && cs.position === "absolute")
          || (cs.clipPath !== "none" && cs.clipPath !== "")) return true;
    }
    return false;
  };

  for (const cell of document.querySelectorAll("td, th")) {
    if (!cell.getClientRects().length || visuallyHidden(cell)) continue;
    // 2. Text that breaks inside a word: a word drawn on two lines.
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let broken = null;
    for (let node = walker.nextNode(); node && !broken; node = walker.nextNode()) {
      const re = /[^\\s\\-\\u2010\\u2011\\/]+/g;  // a break after "-" or "/" is fine
      for (let m = re.exec(node.data); m && !broken; m = re.exec(node.data)) {
        if (m[0].length < 2) continue;
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()]
          .filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken = m[0];
      }
    }
    if (broken) {
      failures.push({check: "word broken inside a table cell",
                     element: describe(cell),
                     detail: `"${broken}" is split over lines`});
    }
    // 3. Styles that allow breaking inside words, where a word is wider than the cell.
    const styled = [cell, ...cell.querySelectorAll("*")].filter((el) => {
      const cs = getComputedStyle(el);
      return cs.wordBreak === "break-all"
        || cs.overflowWrap === "anywhere" || cs.overflowWrap === "break-word";
    });
    for (const el of styled.slice(0, 1)) {
      const cs = getComputedStyle(el);
      const [word, w] = widest(el, el.innerText || "");
      const room = contentWidth(el === cell ? cell : el.parentElement || cell);
      const breakAll = cs.wordBreak === "break-all";
      const [, whole] = widest(el, (el.innerText || "").replace(/\\s+/g, "\\u00a0"));
      if ((breakAll && whole > room + 1) || (!breakAll && w > room + 1)) {
        failures.push({
          check: "table cell text may break inside a word",
          element: describe(el),
          detail: `word-break:${cs.wordBreak}; overflow-wrap:${cs.overflowWrap}; `
            + `"${word}" is ${Math.round(w)}px in ${Math.round(room)}px`,
        });
      }
    }
    // 4. Text cut off.
    if (cell.scrollWidth > cell.clientWidth + 1) {
      failures.push({check: "table cell text cut off", element: describe(cell),
                     detail: `scrollWidth ${cell.scrollWidth} > clientWidth `
                       + `${cell.clientWidth}`});
    }
  }
  ruler.remove();
  return failures;
}
"""


def _session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _axe_failures(page):
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    failures = []
    for violation in results["violations"]:
        if violation.get("impact") not in SERIOUS:
            continue
        targets = [" ".join(map(str, n.get("target", []))) for n in violation["nodes"]]
        failures.append(
            (
                f"axe {violation['id']} ({violation['impact']})",
                ", ".join(targets[:4]) + (" …" if len(targets) > 4 else ""),
                violation.get("help", ""),
            )
        )
    return failures


def check_page(page, entry, *, axe, console_errors):
    """Open one catalogue page; its failures as (check, element, detail)."""
    failures = []
    response = page.goto(entry.path, wait_until="load")
    status = response.status if response else None
    if status != entry.status:
        failures.append(("status", entry.path, f"{status}, expected {entry.status}"))
    if status is not None and status >= 500:
        console_errors.clear()
        return failures
    for failure in page.evaluate(LAYOUT_CHECKS):
        failures.append((failure["check"], failure["element"], failure["detail"]))
    failures += [("console", "", error) for error in console_errors]
    if axe:
        seen = len(console_errors)
        failures += _axe_failures(page)
        # axe-core's own probes (it sets inline styles) are not the page's fault.
        del console_errors[seen:]
    console_errors.clear()
    return failures


def _context(browser, live_server, visitor, language, width):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport={"width": width, "height": 800},
    )
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language}]
    if visitor.user is not None:
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _session_cookie(visitor.user),
            }
        )
    context.add_cookies([{**c, "url": live_server.url} for c in cookies])
    context.add_init_script(AXE_SCRIPT)
    return context


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("visitor_key", pages.VISITORS)
def test_every_page(browser, live_server, visitor_key, language):
    visitor = pages.build()[visitor_key]
    report = []
    for width in WIDTHS:
        # A fresh context per width: the anonymous visitor starts without a session.
        context = _context(browser, live_server, visitor, language, width)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console_errors = _watch_console(page)
        try:
            for entry in visitor.browser_pages:
                failures = check_page(
                    page, entry, axe=width == AXE_WIDTH, console_errors=console_errors
                )
                report += _grouped(f"{width}px {entry.name} {entry.path}", failures)
        finally:
            context.close()
    assert report == [], (
        f"{visitor_key}, {language}: {len(report)} failures\n" + "\n".join(report)
    )


def _grouped(where, failures, shown=3):
    """One line per page and check: the first elements, and how many more."""
    by_check = {}
    for check, element, detail in failures:
        by_check.setdefault(check, []).append(f"{element} — {detail}")
    lines = []
    for check, items in by_check.items():
        more = f" (+{len(items) - shown} more)" if len(items) > shown else ""
        lines.append(f"{where}: {check}: " + " | ".join(items[:shown]) + more)
    return lines


BROKEN_PAGE = """<!doctype html><html lang="en"><head><style>
  td { overflow-wrap: anywhere; width: 40px; max-width: 40px; }
  .wide { width: 500px; }
  .cut { white-space: nowrap; overflow: hidden; max-width: 30px; }
  .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
            clip: rect(0 0 0 0); }
</style></head><body>
  <table><thead class="hidden"><tr><th>Headerwithlongword</th><th>x</th></tr></thead>
  <tbody><tr><td>Cancelled</td><td class="cut">revoked@tailspin.example</td></tr>
  </tbody></table>
  <div class="wide">wide</div>
</body></html>"""
FINE_PAGE = """<!doctype html><html lang="en"><head><style>
  td { overflow-wrap: anywhere; }
</style></head><body>
  <table><tr><td>Pending</td><td>Azure plan</td><td>a-rather-long-hyphenated-name</td>
  </tr></table>
</body></html>"""


def test_the_layout_checks_find_what_they_look_for(browser):
    """The checks above are not vacuous: a page with each fault is caught, a page
    without any is not (and a visually hidden header is left alone)."""
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.set_content(BROKEN_PAGE)
        failures = page.evaluate(LAYOUT_CHECKS)
        page.set_content(FINE_PAGE)
        fine = page.evaluate(LAYOUT_CHECKS)
    finally:
        page.close()
    found = {(f["check"], f["element"].split(" ")[0]) for f in failures}
    assert ("page wider than the window", "div.wide") in found
    assert ("word broken inside a table cell", "td") in found
    assert ("table cell text may break inside a word", "td") in found
    assert ("table cell text cut off", "td.cut") in found
    assert not any("Headerwithlongword" in f["element"] for f in failures)
    assert fine == []
