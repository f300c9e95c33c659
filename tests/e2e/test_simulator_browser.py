"""End to end, in a real browser: the trainer's renewal demo on the 시뮬레이터 제어 page.

A certificate issued today; the trainer signs in to admin, opens 시뮬레이터 제어 from the admin
index, moves the clock 340 days ahead, finds the certificate under "30일 이내 만료", runs renewal
from the page and reads its summary, and the customer's phone (the handset, a second tab) shows the
renewal SMS with the new expiry date. Every page meanwhile says the clock is moved.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from certcenter import clock
from certificates.display import format_serial
from certificates.models import Certificate
from certificates.services import certificate_issue
from tests.conftest import PIN
from tests.e2e.test_browser import HANDSET_PATH, goto_handset, shoot

pytestmark = pytest.mark.e2e

TRAINER, PASSWORD = "trainer", "trainer-pass-9431"


@pytest.fixture
def trainer(transactional_db):
    return User.objects.create_superuser(TRAINER, "trainer@example.com", PASSWORD)


def test_clock_jump_renewal_from_the_page_and_the_sms_on_the_handset(
        browser_context, live_server, live_customer, trainer, e2e_settings, artifacts_dir):
    e2e_settings.SIMULATOR_CONTROLS_ENABLED = True
    e2e_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    trainer.set_password(PASSWORD)
    trainer.save()
    clock.offset_publish(clock.ZERO)
    issued = certificate_issue(customer=live_customer, pin=PIN, flow_id=uuid.uuid4().hex)
    base = live_server.url
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. Sign in to admin and open 시뮬레이터 제어 from the index.
    page.goto(base + "/admin/")
    page.get_by_label("사용자 이름").fill(TRAINER)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.get_by_role("link", name="시뮬레이터 제어").first.click()
    expect(page.get_by_role("heading", name="시뮬레이터 제어", level=1)).to_be_visible()

    # 2. Move the clock 340 days ahead: the page and every other page say so.
    page.get_by_label("앞으로 옮길 일수").fill("340")
    page.get_by_role("button", name="앞으로 이동").click()
    simulated = (timezone.localdate() + timedelta(days=340)).isoformat()
    notice = f"시뮬레이터 시간: {simulated} (실제 +340일)"
    expect(page.locator(".messagelist")).to_contain_text(f"시뮬레이터 시간이 {simulated}")
    expect(page.locator(".sim-clock-admin")).to_have_text(notice)
    shoot(page, artifacts_dir, "simulator-01-clock-moved")

    # 3. The certificate is now under "30일 이내 만료".
    page.get_by_role("link", name="30일 이내 만료").click()
    expect(page.locator("#result_list")).to_contain_text(format_serial(issued.serial))
    shoot(page, artifacts_dir, "simulator-02-expiring")

    # 4. Run renewal from the page: the job's own summary.
    page.go_back()
    page.get_by_role("button", name="자동 갱신 실행").click()
    summary = "renewed: 1; skipped (reissue required): 0; expired: 0; failed: 0"
    expect(page.locator(".messagelist")).to_contain_text(f"자동 갱신 결과: {summary}")
    expect(page.locator("#renewal-summary")).to_have_text(summary)
    shoot(page, artifacts_dir, "simulator-03-renewed")
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.RENEWED
    renewed = issued.renewed_by
    expiry = timezone.localtime(renewed.not_after).strftime("%Y.%m.%d")

    # 5. The customer's phone shows the renewal SMS, under the same notice.
    handset = browser_context.new_page()
    goto_handset(handset, base + HANDSET_PATH)
    sms = handset.locator(".handset-inbox .handset-sms-body").first
    expect(sms).to_have_text(f"[KB국민은행] 금융인증서가 자동 갱신되었습니다. 새 유효기간 만료일: {expiry}")
    expect(handset.locator(".sim-clock")).to_have_text(notice)
    expect(handset.locator(".handset-inbox time").first).to_contain_text(simulated)
    shoot(handset, artifacts_dir, "simulator-04-handset-sms")

    # Back to real time from the page.
    page.get_by_role("button", name="실제 시간으로").click()
    expect(page.locator(".sim-clock-admin")).to_have_count(0)
    expect(page.locator(".messagelist")).to_contain_text("실제 시간으로 돌아왔습니다")
    assert clock.offset() == timedelta(0)
