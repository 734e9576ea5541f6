"""report.html in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

Loads the seeds report and the XSS-payload report from file://, with the network unused: no console errors, no
Content Security Policy violations, no request of any kind, no dialog, and the search box narrows the story list.
Set DEDUP_SCREENSHOT=path.png to keep a screenshot of the seeds overview (reports/seeds-report.png).
Skips, naming the Debian packages, when chromium, chromedriver or selenium is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from dedup import Config, run
from dedup.report import build_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parent.parent

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:  # pragma: no cover - depends on the environment
    webdriver = None

_missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
pytestmark = pytest.mark.skipif(
    webdriver is None or bool(_missing),
    reason=("browser test needs selenium (pip install selenium) and Debian's packages `chromium chromium-driver` "
            f"(apt-get install chromium chromium-driver); missing: {_missing or ['selenium']}"))

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """One headless Chromium for the module, with browser and performance (network) logs."""
    profile = tempfile.mkdtemp(prefix="dedup-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_script_timeout(20)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def seeds_report(seeds_out: Path) -> Path:
    return build_report(seeds_out, inputs_root=ROOT)


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_report import write_evil_inputs

    base = tmp_path_factory.mktemp("evil-browser")
    out = base / "out"
    run(write_evil_inputs(base / "in"), out, Config())
    return build_report(out)


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``check()`` is truthy."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def open_report(driver: Any, report: Path, route: str = "") -> None:
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(report.resolve().as_uri() + route)
    assert wait_for(lambda: driver.execute_script("return document.documentElement.dataset.ready === '1'")), \
        "the report script never finished (blocked by CSP or failed)"


def go(driver: Any, route: str) -> None:
    driver.execute_script("location.hash = arguments[0]", route)
    time.sleep(0.1)


def assert_clean(driver: Any, report: Path) -> None:
    """No SEVERE console entry, no CSP message, no request but the report itself, no resources, no dialog."""
    logs = driver.get_log("browser")
    bad = [e for e in logs if e.get("level") == "SEVERE" or "Content Security Policy" in e.get("message", "")]
    assert not bad, bad
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    own = report.resolve().as_uri()
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            document = message["params"].get("documentURL", "")
            if document.startswith(own) and not url.startswith(own):  # the browser's own pages do not count
                requests.append(url)
    assert not requests, requests
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - accessing it raises when no dialog is open


# Switch route, let the page script render, then list what must never be there.
AUDIT = """
const done = arguments[arguments.length - 1];
window.addEventListener("hashchange", function handler() {
  window.removeEventListener("hashchange", handler);
  setTimeout(function () {
    const all = Array.from(document.querySelectorAll("*"));
    done({
      embeds: document.querySelectorAll("img, iframe, object, embed, frame, link[href]").length,
      scripts: document.scripts.length,
      handlers: all.flatMap(e => Array.from(e.attributes)).filter(a => a.name.toLowerCase().startsWith("on"))
        .map(a => a.name),
      hrefs: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
      ext: Array.from(document.querySelectorAll("a.ext")).map(a => [a.protocol, a.rel]),
    });
  }, 0);
});
location.hash = arguments[0];
"""


def story_rows(driver: Any) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, "#view-app table.stories tbody tr"))


def test_seeds_report_loads_offline_without_errors(driver: Any, seeds_report: Path) -> None:
    open_report(driver, seeds_report)
    assert driver.find_element(By.ID, "view-overview").is_displayed()
    screenshot = os.environ.get("DEDUP_SCREENSHOT")
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(screenshot)
    for route in ("sources", "stories", "groups", "templates", "pages", "lines", "page=0&line=5&end=9"):
        go(driver, route)
        assert driver.find_element(By.ID, "view-app").is_displayed()
    first_story = driver.execute_script("return JSON.parse(document.getElementById('data').textContent).stories[0][0]")
    go(driver, "story=" + first_story)
    assert "Copies" in driver.find_element(By.ID, "view-app").text
    assert_clean(driver, seeds_report)


def test_search_narrows_the_story_list(driver: Any, seeds_report: Path) -> None:
    open_report(driver, seeds_report, "#stories")
    before = wait_for(lambda: story_rows(driver))
    assert before > 3
    box = driver.find_element(By.ID, "q")
    box.send_keys("MetaX")
    after = wait_for(lambda: (n := story_rows(driver)) < before and n)
    assert 1 <= after < before
    titles = driver.find_element(By.CSS_SELECTOR, "#view-app table.stories tbody").text
    assert "MetaX" in titles
    box.clear()
    box.send_keys("zzqx-no-such-text")
    assert wait_for(lambda: story_rows(driver) == 0)
    assert_clean(driver, seeds_report)


def test_sorting_a_table_column(driver: Any, seeds_report: Path) -> None:
    open_report(driver, seeds_report, "#sources")
    header = driver.find_element(By.XPATH, "//th/button[text()='Lines']")
    header.click()
    cells = [int(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "table.sources tbody td:nth-child(6)")]
    assert cells == sorted(cells, reverse=True)
    driver.find_element(By.XPATH, "//th/button[text()='Lines']").click()
    cells = [int(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "table.sources tbody td:nth-child(6)")]
    assert cells == sorted(cells)
    assert_clean(driver, seeds_report)


def test_payload_report_renders_payloads_as_text_only(driver: Any, evil_report: Path) -> None:
    open_report(driver, evil_report)
    data = json.loads(driver.execute_script("return document.getElementById('data').textContent"))
    routes = ["sources", "stories", "groups", "templates", "pages", "lines"]
    routes += [f"page={i}" for i in range(len(data["pages"]))]
    routes += [f"story={s[0]}" for s in data["stories"]]
    routes += [f"group={g[0]}" for g in data["groups"]]
    routes += [f"template={t[0]}" for t in data["templates"] or []]
    for route in routes:
        found = driver.execute_async_script(AUDIT, route)
        assert found["embeds"] == 0 and found["scripts"] == 2, (route, found)
        assert found["handlers"] == [], (route, found)
        assert all(h.startswith(("file:", "http:", "https:")) for h in found["hrefs"]), (route, found)
        assert all(p in ("http:", "https:") and r == "noopener noreferrer" for p, r in found["ext"]), (route, found)
    go(driver, "lines")
    assert "alert(1)" in driver.find_element(By.ID, "view-app").text
    assert_clean(driver, evil_report)
