"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by Playwright's sync API.

Playwright cannot download its own browsers here, so it launches the system Chromium. Without it
the browser tests are skipped with one line saying how to enable them, unless ``E2E_REQUIRED=1``
(CI), under which a missing browser is a failure.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Every Playwright wait is bounded; nothing in the walk should take longer than this.
DEFAULT_TIMEOUT_MS = 15_000

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"

_skipped: list[str] = []


def _missing_browser_message() -> str:
    return (
        f"browser test skipped: Chromium not found at {CHROMIUM} — install it with "
        "`apt-get install -y chromium fonts-nanum` (CI sets E2E_REQUIRED=1)"
    )


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not CHROMIUM.is_file():
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(
                f"E2E_REQUIRED=1 but Chromium is not installed at {CHROMIUM}: "
                "`apt-get install -y chromium fonts-nanum`.",
                pytrace=False,
            )
        message = _missing_browser_message()
        _skipped.append(message)
        pytest.skip(message)

    # Playwright's sync API keeps an asyncio event loop in this thread; Django then refuses ORM
    # calls here (SynchronousOnlyOperation), pytest-django's flush of the transactional database
    # included. The known pytest-django + Playwright issue (microsoft/playwright-pytest#29); the
    # ORM is still only used synchronously. Allowed while the browser is up, restored after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_context(browser):
    """A fresh, phone-sized browser context (cookies, downloads), closed after the test."""
    context = browser.new_context(
        viewport={"width": 360, "height": 800},
        locale="ko-KR",
        timezone_id="Asia/Seoul",
        accept_downloads=True,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)  # expect(...) waits 5 s by default
    # The Content-Security-Policy refuses inline script and style; Chromium reports each refusal
    # on the console, and any refusal fails the test.
    refused: list[str] = []
    context.on("console", lambda message: refused.append(message.text)
               if "Content Security Policy" in message.text else None)
    try:
        yield context
    finally:
        context.close()
    assert refused == [], refused


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots land in test-artifacts/e2e/ at the repository root (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def e2e_settings(settings):
    """What the walk needs from the settings, whatever the developer's .env says.

    The live server runs in this process, so these apply to it: the simulated handset on, SMS and
    ARS into the handset's outbox, cookies over plain HTTP (the live server has no TLS), and no
    one-minute SMS resend cooldown between the issue and the reissue of the same test.
    """
    settings.SIMULATED_PHONE_ENABLED = True
    settings.SMS_BACKEND = "verification.backends.simulated.SimulatedBackend"
    settings.ARS_BACKEND = "verification.backends.simulated.SimulatedBackend"
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SMS_RESEND_COOLDOWN = 1
    settings.ARS_RECALL_COOLDOWN = 1
    return settings


@pytest.fixture
def live_customer(transactional_db, customer_factory):
    """The demo customer 홍길동, committed so that the live server's threads can see him.

    ``transactional_db`` is requested first, so ``customer_factory``'s ``db`` is the transactional
    one (pytest-django flushes the tables after the test instead of rolling back).
    """
    return customer_factory(
        user_id="hong", name="홍길동", resident_number="900101-1234568",
        phone="010-1234-5678", email="hong@example.com",
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # `make test` runs without -rs: still say, on one line, why the browser test did not run.
    chars = config.option.reportchars or ""
    if _skipped and not set(chars) & set("saA"):
        terminalreporter.write_line(_skipped[0], yellow=True)
