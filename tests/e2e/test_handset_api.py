"""End to end with the handset's JSON API: a test suite walks the wizard in a browser while it
answers the ARS call and reads the SMS code through /phone/api/ instead of the handset page.

README ("Driving the handset from a test") shows this test: keep the two the same.
"""

import re

import pytest
from playwright.sync_api import expect

from certificates.models import Certificate

pytestmark = pytest.mark.e2e

# --- README: from here to the end of the file --------------------------------------------------
TOKEN = "handset-test-token"


class Handset:
    """The phone 010-1234-5678 through the handset API, with the bearer token."""

    def __init__(self, request, base_url: str, phone: str = "010-1234-5678"):
        self.request = request  # Playwright's APIRequestContext (any HTTP client will do)
        self.url = f"{base_url}/phone/api/{phone}/"
        self.headers = {"Authorization": f"Bearer {TOKEN}"}

    def clear(self):
        assert self.request.delete(self.url, headers=self.headers).ok

    def ringing_call(self) -> dict:
        call = self.request.get(self.url + "call/", headers=self.headers).json()["call"]
        assert call is not None and call["state"] == "ringing"
        return call

    def key_in(self, digits: str) -> dict:
        response = self.request.post(self.url + "call/keys/", headers=self.headers,
                                     data={"digits": digits})
        assert response.ok, response.text()
        return response.json()

    def newest_code(self) -> str:
        messages = self.request.get(self.url + "messages/?limit=1",
                                    headers=self.headers).json()["messages"]
        assert messages and messages[0]["code"], messages
        return messages[0]["code"]


def test_issue_with_the_handset_api(browser_context, live_server, live_customer, e2e_settings):
    e2e_settings.SIMULATED_PHONE_TOKEN = TOKEN
    base = live_server.url
    handset = Handset(browser_context.request, base)
    handset.clear()
    page = browser_context.new_page()

    # 약관 동의 → 본인 확인
    page.goto(base + "/personal/finance-cert/issue/")
    page.get_by_label("전체 동의").check()
    page.get_by_role("button", name="다음", exact=True).click()
    page.get_by_label("아이디", exact=True).fill("hong")
    page.get_by_label("주민등록번호 앞 6자리").fill("900101")
    page.get_by_label("주민등록번호 뒤 7자리").fill("1234568")
    page.get_by_role("button", name="다음", exact=True).click()

    # ARS 인증: the page shows two digits; the test keys them in on the phone.
    page.get_by_role("button", name="ARS 인증 요청").click()
    digits = page.locator(".big-number").inner_text().strip()
    assert handset.ringing_call()["digits_expected"] == 2
    assert handset.key_in(digits)["result"] == "accepted"
    page.wait_for_url(re.compile(r"/extra/$"))  # the page moves on by itself

    # 추가 본인 확인 → KB국민인증서 인증 with the code read from the API
    page.get_by_label("위 이메일과 휴대폰 번호가 본인의 연락처임을 확인합니다.").check()
    page.get_by_role("button", name="다음", exact=True).click()
    page.get_by_label("이름", exact=True).fill("홍길동")
    page.get_by_label("생년월일 (8자리)").fill("19900101")
    page.get_by_label("휴대폰 번호", exact=True).fill("010-1234-5678")
    page.get_by_role("button", name="인증번호 요청").click()
    expect(page.get_by_role("status").filter(has_text="인증번호를 보냈습니다")).to_be_visible()
    page.get_by_label("인증번호 6자리").fill(handset.newest_code())
    page.get_by_role("button", name="확인", exact=True).click()

    # 비밀번호 → 발급 완료
    page.get_by_label("인증서 비밀번호 (숫자 6자리)").fill("135790")
    page.get_by_label("비밀번호 확인", exact=True).fill("135790")
    page.get_by_role("button", name="확인", exact=True).click()
    page.wait_for_url(re.compile(r"/done/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("발급 완료")

    browser_context.close()
    assert Certificate.objects.filter(customer=live_customer, status="active").count() == 1
