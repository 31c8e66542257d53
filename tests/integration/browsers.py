"""What the browser tests share: a headless Chromium (Debian's chromium + chromedriver through
selenium), logging in to ``pubwifi web``, waiting for a page, screenshots, the XSS check.

The ``browser`` and ``downloading_browser`` fixtures (conftest.py) hand a test a fresh
:func:`chrome`; selenium is imported only when a browser starts.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The password every browser test gives its users.
PASSWORD = "browser test password"
#: Where screenshots kept after a run go (``var/test-artifacts/web/``).
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "web"
WINDOW = (1400, 1000)


def run(argv: list[str], env: dict[str, str], stdin: str | None = None, timeout: int = 300) -> str:
    """Run a ``pubwifi`` command to its end; its stdout (a failure shows its stderr's end)."""
    done = subprocess.run(
        argv, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@contextlib.contextmanager
def chrome(downloads: Path | None = None) -> Iterator[Any]:
    """A headless Chromium, quit at the end. ``downloads``: the folder downloads are saved to
    without asking (made here; also ``driver.downloads``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(arg)
    if downloads is not None:
        downloads.mkdir()
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(downloads), "download.prompt_for_download": False},
        )
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if downloads is not None:
        driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: Any, base: str, name: str, password: str = PASSWORD) -> None:
    """Log in as ``name`` (any earlier session's cookies forgotten first)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.stack button").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def click_and_wait(driver: Any, target: Any, url_part: str, timeout: float = 20) -> None:
    """Click ``target`` (an element, or the CSS selector of one) and wait for the new page
    whose URL has ``url_part`` to be loaded (a loaded machine can take longer than selenium's
    own wait for the navigation, e.g. after a POST's redirect)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    before = driver.find_element(By.TAG_NAME, "html")
    element = driver.find_element(By.CSS_SELECTOR, target) if isinstance(target, str) else target
    element.click()
    WebDriverWait(driver, timeout).until(
        lambda d: (
            url_part in d.current_url
            and d.find_element(By.TAG_NAME, "html") != before
            and d.execute_script("return document.readyState") == "complete"
        )
    )


def shot(driver: Any, path: Path, full: bool = True, max_height: int = 4000) -> None:
    """A screenshot to ``path``; ``full``: of the whole page (the window grown to the page's
    height, at most ``max_height``), then the window back to its size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if full:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(WINDOW[0], min(max(WINDOW[1], height + 40), max_height))
    driver.save_screenshot(str(path))
    driver.set_window_size(*WINDOW)


def no_script_ran(driver: Any) -> None:
    """No script of the XSS corpus ran (each would set ``window.__pubwifi_xss``)."""
    assert driver.execute_script("return window.__pubwifi_xss === undefined")
