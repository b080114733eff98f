"""The review page in a real headless browser: Debian's Chromium driven by Selenium.

Nothing is downloaded: the browser is /usr/bin/chromium and the driver
/usr/bin/chromedriver (packages chromium and chromium-driver; .ci/run installs them).
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="newsclass[web] is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from tests.webtools import SEED, Server, label, wait_for  # noqa: E402

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,900"]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not CHROMIUM.is_file() or not CHROMEDRIVER.is_file(),
    reason="no system Chromium: apt-get install chromium chromium-driver (.ci/run does)")]


@pytest.fixture()
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _by(how: str):
    from selenium.webdriver.common.by import By

    return getattr(By, how)


def open_page(driver, url: str) -> None:
    driver.get(url)
    assert wait_for(lambda: driver.execute_script("return document.body.dataset.ready"), 30)


def list_rows(driver) -> list:
    return driver.find_elements(_by("CSS_SELECTOR"), "#list li")


def status_text(driver) -> str:
    return driver.find_element(_by("ID"), "status").text


def press(driver, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()


def corrections(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def seed_out(tmp_path):
    out = tmp_path / "out.jsonl"
    label(SEED, "--keep-text", "-o", out, "-q")
    return out


def test_order_highlights_key_press_and_reload(browser, seed_out, tmp_path):
    saved = tmp_path / "decisions.jsonl"
    server = Server("review", seed_out, "--corrections", saved)
    try:
        open_page(browser, server.url)
        confidences = [float(li.find_element(_by("CLASS_NAME"), "conf").text)
                       for li in list_rows(browser)]
        assert len(confidences) == 8 and confidences == sorted(confidences)
        # the least certain article is shown first, its terms marked in its text
        first = list_rows(browser)[0]
        assert "current" in first.get_attribute("class")
        marks = browser.find_elements(_by("CSS_SELECTOR"), "#body mark")
        assert marks and all(m.get_attribute("class").startswith("c-") for m in marks)
        body = browser.find_element(_by("ID"), "body").text
        assert all(m.text in body for m in marks)
        assert "人大" in browser.find_element(_by("ID"), "buttons").text  # Chinese names
        shown = browser.execute_script("return document.body.dataset.pos")
        press(browser, "4")  # charity 慈善
        assert wait_for(lambda: status_text(browser).startswith("saved: charity"))
        assert "reviewed 1 of 8" in browser.find_element(_by("ID"), "progress").text
        rows = corrections(saved)
        assert len(rows) == 1 and rows[0]["label"] == "charity"
        browser.refresh()
        open_page(browser, server.url + "#" + shown)
        assert browser.execute_script("return document.body.dataset.pos") == shown
        chosen = browser.find_elements(_by("CSS_SELECTOR"), "#buttons button.chosen")
        assert [b.get_attribute("data-label") for b in chosen] == ["charity"]
        assert "→ charity" in list_rows(browser)[int(shown)].text
        # Enter accepts the model's label of the next article and moves on
        press(browser, "\ue007")
        assert wait_for(lambda: browser.execute_script("return document.body.dataset.pos")
                        != shown)
        browser.save_screenshot(str(tmp_path / "review.png"))
    finally:
        server.stop()
    assert (tmp_path / "review.png").stat().st_size > 10_000


def header_counts(driver) -> dict:
    """Per label in the header: (articles with that label now, of them reviewed)."""
    import re

    shown = driver.execute_script(  # in one call: the header may be redrawn meanwhile
        "return [...document.querySelectorAll('#counts [data-label]')]"
        ".map((s) => [s.dataset.label, s.textContent])")
    counts = {}
    for name, text in shown:
        match = re.search(r"(\d+)(?:\s*✓\s*(\d+))?\s*$", text)
        counts[name] = (int(match.group(1)), int(match.group(2) or 0))
    return counts


def test_header_counts_follow_each_decision_without_reload(browser, seed_out, tmp_path):
    server = Server("review", seed_out, "--corrections", tmp_path / "decisions.jsonl")
    try:
        open_page(browser, server.url)
        browser.execute_script("window.stillThisPage = true")
        before = header_counts(browser)
        assert sum(n for n, _ in before.values()) == 8
        assert all(done == 0 for _, done in before.values())
        model = browser.find_element(_by("CSS_SELECTOR"), "#buttons button.model"
                                     ).get_attribute("data-label")
        buttons = browser.find_elements(_by("CSS_SELECTOR"), "#buttons button")
        keys = [b.get_attribute("data-label") for b in buttons]
        target = next(lab for lab in keys if lab != model)
        press(browser, str(keys.index(target) + 1))  # a correction
        assert wait_for(lambda: header_counts(browser) != before)
        after = header_counts(browser)
        assert after[target] == (before[target][0] + 1, 1)
        assert after[model] == (before[model][0] - 1, 0)
        assert "reviewed 1 of 8" in browser.find_element(_by("ID"), "progress").text
        press(browser, "\ue014")  # the next article, accepted as the model labelled it
        assert wait_for(lambda: browser.execute_script("return document.body.dataset.pos")
                        == "1")
        accepted = browser.find_element(_by("CSS_SELECTOR"), "#buttons button.model"
                                        ).get_attribute("data-label")
        press(browser, "\ue007")
        assert wait_for(lambda: header_counts(browser) != after)
        now = header_counts(browser)
        assert now[accepted] == (after[accepted][0], after[accepted][1] + 1)
        assert "reviewed 2 of 8" in browser.find_element(_by("ID"), "progress").text
        assert browser.execute_script("return window.stillThisPage === true")
        browser.save_screenshot(str(tmp_path / "counts.png"))
    finally:
        server.stop()


def test_article_text_is_shown_as_text_never_run(browser, tmp_path):
    evil = {"id": "evil", "source": "evil.jsonl", "title": "<script>window.pwned=1</script>",
            "body": 'x<img src=x onerror="window.pwned=2">y <b>bold</b> 人大代表',
            "label": "other", "top": {"other": 0.4, "congress": 0.35}}
    out = tmp_path / "evil.out.jsonl"
    out.write_text(json.dumps(evil, ensure_ascii=False) + "\n", encoding="utf-8")
    server = Server("review", out)
    try:
        open_page(browser, server.url)
        assert browser.find_element(_by("ID"), "title").text == evil["title"]
        assert "<img src=x onerror=" in browser.find_element(_by("ID"), "body").text
        assert browser.find_elements(_by("CSS_SELECTOR"), "#body img, #body b, #title script"
                                     ) == []
        assert browser.execute_script("return window.pwned === undefined")
        assert evil["title"] in list_rows(browser)[0].text
    finally:
        server.stop()


def test_killing_the_server_loses_no_saved_decision(browser, seed_out, tmp_path):
    saved = tmp_path / "decisions.jsonl"
    server = Server("review", seed_out, "--corrections", saved)
    shown_saved = []
    try:
        open_page(browser, server.url)
        for key in ("5", "1", "2"):
            pos = browser.execute_script("return document.body.dataset.pos")
            press(browser, key)
            assert wait_for(lambda: status_text(browser).startswith("saved"))
            shown_saved.append((pos, status_text(browser).split()[1]))
            press(browser, "\ue014")  # arrow right: the next article
            assert wait_for(lambda p=pos: browser.execute_script(
                "return document.body.dataset.pos") != p)
    finally:
        server.stop(signal.SIGKILL)
    rows = corrections(saved)
    assert [r["label"] for r in rows] == [label for _, label in shown_saved]
    # reopening continues at the first article without a decision
    again = Server("review", seed_out, "--corrections", saved)
    try:
        open_page(browser, again.url)
        assert "reviewed 3 of 8" in browser.find_element(_by("ID"), "progress").text
        assert browser.execute_script("return document.body.dataset.pos") == "3"
    finally:
        again.stop()
    assert os.path.getsize(saved) > 0
