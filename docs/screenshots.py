"""Take the screenshots of docs/review.md: the review page of the seed page, in the same
headless Chromium the browser tests use (Debian's chromium and chromium-driver).

    python docs/screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains

ROOT = Path(__file__).resolve().parents[1]
SEED = Path("seeds", "000_5c64d9000366f065.txt")  # relative: the page shows it as its source
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,860", "--force-device-scale-factor=1"]


def ready(driver: webdriver.Chrome) -> None:
    for _ in range(200):
        if driver.execute_script("return document.body.dataset.ready"):
            return
        time.sleep(0.05)
    raise SystemExit("the review page did not load")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "seed.jsonl"
        subprocess.run([sys.executable, "-m", "newsclass", "label", str(SEED), "--keep-text",
                        "-o", str(out), "-q"], check=True, cwd=ROOT)
        server = subprocess.Popen([sys.executable, "-m", "newsclass", "review", str(out),
                                   "--port", "0"], stdout=subprocess.PIPE, cwd=ROOT)
        url = server.stdout.readline().decode().split(": ", 1)[1].strip()
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in [*FLAGS, f"--user-data-dir={tmp}/profile"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(url + "#4")  # the congress article: its terms in the text
            ready(driver)
            driver.save_screenshot(str(ROOT / "docs" / "review-article.png"))
            driver.get(url)
            ready(driver)
            ActionChains(driver).send_keys("5").perform()  # the least certain: other
            time.sleep(0.5)
            driver.save_screenshot(str(ROOT / "docs" / "review-decision.png"))
        finally:
            driver.quit()
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
