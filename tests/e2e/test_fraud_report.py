"""End to end: the customer did not ask for the call. While the wizard waits on the ARS step, the
handset's 본인이 요청하지 않음 ends the flow; the wizard says so by itself (its poll), the phone gets
a notice, and identifying again is refused with the bank's call center named. The same from the
신고 button next to a code SMS, while the wizard waits for the code."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import (
    BIRTH_DATE,
    HANDSET_PATH,
    NAME,
    PHONE,
    agree_and_identify,
    answer_ars_call,
    confirm_contact,
    goto_handset,
    open_wizard,
    reload_handset,
)
from verification.models import FraudReport

pytestmark = pytest.mark.e2e

ENDED = "본인이 요청하지 않은 인증 요청으로 신고되어 금융인증서 발급 절차를 종료했습니다."


def test_fraud_report_from_the_handset_ends_the_waiting_wizard(
    browser_context, live_server, live_customer, e2e_settings, artifacts_dir
):
    e2e_settings.BANK_CALL_CENTER = "1588-9999"
    base = live_server.url
    page = browser_context.new_page()
    handset = browser_context.new_page()

    open_wizard(page, base, None)
    agree_and_identify(page, None)
    page.wait_for_url(re.compile(r"/ars/$"))
    page.get_by_role("button", name="ARS 인증 요청").click()
    expect(page.locator("#ars-status")).to_contain_text("자동으로 다음 단계로")

    goto_handset(handset, base + HANDSET_PATH)
    call = handset.get_by_role("region", name=re.compile("전화 수신 중"))
    expect(call).to_contain_text("본인이 요청하지 않은 경우")
    handset.screenshot(path=str(artifacts_dir / "fraud-call-360.png"), full_page=True)
    call.get_by_role("button", name="본인이 요청하지 않음 (9)").click()
    expect(handset.locator(".handset-messages")).to_contain_text("신고했습니다")
    expect(handset.get_by_role("region", name=re.compile("전화 수신 중"))).to_have_count(0)
    notice = handset.locator(".handset-inbox .handset-sms-body").first
    expect(notice).to_contain_text("본인이 요청하지 않은 금융인증서 발급/재발급 요청을 신고하셨습니다")
    handset.screenshot(path=str(artifacts_dir / "fraud-handset-360.png"), full_page=True)

    # Nobody touches the wizard tab: its poll sees the report and the flow ends with a message.
    page.wait_for_url(re.compile(r"/personal/finance-cert/issue/$"), timeout=10_000)
    expect(page.get_by_role("status").filter(has_text=ENDED)).to_be_visible()
    expect(page.get_by_text("고객센터(1588-9999)")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "fraud-wizard-360.png"), full_page=True)

    # Starting again is refused at identification while the block lasts.
    agree_and_identify(page, None)
    expect(page.get_by_role("alert")).to_contain_text("금융인증서 발급·재발급이 제한됩니다")
    expect(page.get_by_role("alert")).to_contain_text("1588-9999")

    browser_context.close()
    report = FraudReport.objects.get()
    assert report.customer == live_customer
    assert report.source == FraudReport.Source.CALL


def test_fraud_report_of_a_code_sms_ends_the_wizard_at_its_next_step(
    browser_context, live_server, live_customer, e2e_settings
):
    base = live_server.url
    page = browser_context.new_page()
    handset = browser_context.new_page()

    open_wizard(page, base, None)
    agree_and_identify(page, None)
    answer_ars_call(page, handset, base, None)
    confirm_contact(page, None)
    page.get_by_label("이름", exact=True).fill(NAME)
    page.get_by_label("생년월일 (8자리)").fill(BIRTH_DATE)
    page.get_by_label("휴대폰 번호", exact=True).fill(PHONE)
    page.get_by_role("button", name="인증번호 요청").click()
    expect(page.get_by_role("status").filter(has_text="인증번호를 보냈습니다")).to_be_visible()

    reload_handset(handset)
    newest = handset.locator(".handset-inbox li").first
    expect(newest).to_contain_text("요청하지 않았다면 신고")
    newest.get_by_role("button", name="이 문자를 본인이 요청하지 않았음을 신고").click()
    expect(handset.locator(".handset-messages")).to_contain_text("신고했습니다")
    expect(handset.locator(".handset-sms-reported").first).to_have_text("신고함")

    # The code the customer did not ask for no longer works, and the flow ends.
    page.get_by_label("인증번호 6자리").fill("123456")
    page.get_by_role("button", name="확인", exact=True).click()
    page.wait_for_url(re.compile(r"/personal/finance-cert/issue/$"))
    expect(page.get_by_role("status").filter(has_text=ENDED)).to_be_visible()

    browser_context.close()
    assert FraudReport.objects.get().source == FraudReport.Source.SMS
