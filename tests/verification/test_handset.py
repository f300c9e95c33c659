"""The simulated handset under /phone/: inbox, ringing call, keypad, hang-up; 404 when disabled."""

import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.demo import DEMO_CUSTOMERS
from tests.verification.conftest import NATIONAL, PHONE, SIMULATED
from verification.models import Challenge, HandsetMessage
from verification.services import (
    ars_call_start,
    ars_display_code,
    challenge_status,
    sms_send,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def simulated(settings):
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED


@pytest.fixture
def call(committed):
    return committed(ars_call_start, phone=PHONE, purpose="issue.ars")


def phone_url(national=NATIONAL):
    return reverse("verification:handset_phone", kwargs={"phone": "+82" + national[1:]})


def key_in_url(challenge, national=NATIONAL):
    return reverse(
        "verification:handset_key_in",
        kwargs={"phone": "+82" + national[1:], "challenge_id": challenge.pk},
    )


def hang_up_url(challenge):
    return reverse(
        "verification:handset_hang_up", kwargs={"phone": PHONE, "challenge_id": challenge.pk}
    )


def flashed(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_urls_use_the_national_digits():
    assert reverse("verification:handset_list") == "/phone/"
    assert phone_url() == "/phone/01012345678/"
    assert reverse("verification:handset_version", kwargs={"phone": PHONE}) == (
        "/phone/01012345678/version/"
    )


def test_list_shows_the_demo_customers_phones(client):
    response = client.get("/phone/")
    assert response.status_code == 200
    html = response.content.decode()
    for demo in DEMO_CUSTOMERS:
        assert demo.phone in html
        national = demo.phone.replace("-", "")
        assert f'href="/phone/{national}/"' in html
    assert "모의 휴대폰" in html


def test_list_adds_other_phones_that_received_something(client, committed, customer_factory):
    other = customer_factory(name="김영희", phone="010-7777-8888")
    committed(sms_send, phone=other.phone, purpose="issue.sms")
    html = client.get("/phone/").content.decode()
    assert "010-7777-8888" in html
    assert "김*희" in html  # a real customer's name is masked
    assert "김영희" not in html


def test_phone_page_shows_the_inbox_newest_first_with_seoul_times(client, committed, clock):
    first = committed(sms_send, phone=PHONE, purpose="issue.sms")
    clock.shift(61)
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    response = client.get(phone_url())
    assert response.status_code == 200
    html = response.content.decode()
    bodies = [m.body for m in HandsetMessage.objects.order_by("id")]
    codes = [re.search(r"\[(\d{6})\]", b).group(1) for b in bodies]
    assert html.index(codes[1]) < html.index(codes[0])
    # 01:00 UTC is 10:00 in Seoul.
    assert "2025-03-04 10:00:00" in html
    assert "2025-03-04 10:01:01" in html
    assert first.pk  # the challenge itself is not what the page lists
    assert "홍길동" in html  # demo1's phone
    assert "전화 수신 중" not in html


def test_phone_page_shows_a_ringing_call(client, call):
    html = client.get(phone_url()).content.decode()
    assert "전화 수신 중" in html
    assert "KB국민은행 ARS" in html
    assert "화면에 표시된 숫자 두 자리를 입력하세요" in html
    assert 'name="digits"' in html
    assert '<label for="id_digits">' in html
    assert 'inputmode="numeric"' in html
    assert ">입력</button>" in html
    assert ">통화 종료</button>" in html
    # The page the customer looks at shows the number; the phone must not.
    assert f">{ars_display_code(call)}<" not in html


def test_ringing_call_counts_down_its_remaining_time(client, clock, call):
    clock.shift(1)
    html = client.get(phone_url()).content.decode()
    assert 'data-countdown="179">2:59<' in html


def test_expired_call_no_longer_rings(client, clock, call):
    clock.shift(181)
    html = client.get(phone_url()).content.decode()
    assert "전화 수신 중" not in html
    assert "시간 초과" in html  # the call log


def test_keying_in_the_right_digits_verifies_the_call(client, call):
    response = client.post(key_in_url(call), {"digits": ars_display_code(call)})
    assert response.status_code == 302
    assert response["Location"] == phone_url()
    assert challenge_status(challenge_id=call.pk) == "verified"
    page = client.get(response["Location"])
    assert "전화 인증이 완료되었습니다." in page.content.decode()
    assert "전화 수신 중" not in page.content.decode()


def test_keying_in_wrong_digits_reports_the_tries_left(client, call):
    digits = ars_display_code(call)
    wrong = "11" if digits != "11" else "12"
    response = client.post(key_in_url(call), {"digits": wrong}, follow=True)
    assert "입력한 숫자가 일치하지 않습니다. (남은 횟수 2회)" in response.content.decode()
    assert challenge_status(challenge_id=call.pk) == "pending"
    assert Challenge.objects.get(pk=call.pk).attempts == 1


def test_keying_in_full_width_or_spaced_digits_verifies_the_call(client, call):
    digits = ars_display_code(call)
    typed = " " + chr(0xFF10 + int(digits[0])) + " " + digits[1]
    client.post(key_in_url(call), {"digits": typed})
    assert challenge_status(challenge_id=call.pk) == "verified"


@pytest.mark.parametrize("typed", ["", "1", "abc", "123"])
def test_malformed_digits_are_refused_without_counting_a_try(client, call, typed):
    response = client.post(key_in_url(call), {"digits": typed})
    assert response.status_code == 400
    assert "숫자 두 자리를 입력해 주세요." in response.content.decode()
    assert Challenge.objects.get(pk=call.pk).attempts == 0


def test_hang_up_cancels_the_call(client, call):
    response = client.post(hang_up_url(call))
    assert response.status_code == 302
    assert flashed(response) == ["통화를 종료했습니다."]
    assert challenge_status(challenge_id=call.pk) == "cancelled"
    assert "전화 수신 중" not in client.get(phone_url()).content.decode()


def test_a_call_cannot_be_answered_from_another_phone(client, call):
    assert client.post(key_in_url(call, "01023456789"), {"digits": "12"}).status_code == 404
    unknown = Challenge(pk=uuid.uuid4())
    assert client.post(key_in_url(unknown), {"digits": "12"}).status_code == 404
    assert Challenge.objects.get(pk=call.pk).attempts == 0


def test_key_in_and_hang_up_are_post_only(client, call):
    assert client.get(key_in_url(call)).status_code == 405
    assert client.get(hang_up_url(call)).status_code == 405


def test_version_changes_when_something_arrives_or_the_call_ends(client, committed, clock):
    url = reverse("verification:handset_version", kwargs={"phone": PHONE})
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]
    empty = response.json()["version"]
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    with_sms = client.get(url).json()["version"]
    assert with_sms != empty
    call = committed(ars_call_start, phone=PHONE, purpose="issue.ars")
    ringing = client.get(url).json()["version"]
    assert ringing != with_sms
    assert client.get(url).json()["version"] == ringing
    clock.shift(181)
    assert client.get(url).json()["version"] != ringing
    assert call.pk


def test_page_polls_only_with_javascript(client):
    html = client.get(phone_url()).content.decode()
    assert 'data-handset-version-url="/phone/01012345678/version/"' in html
    assert "js/handset.js" in html
    # The shared countdown format is loaded first (deferred scripts run in document order).
    assert 0 <= html.index("js/countdown.js") < html.index("js/handset.js")


@pytest.mark.parametrize("bad", ["/phone/0101234567/", "/phone/02012345678/", "/phone/abc/"])
def test_not_a_mobile_number_is_404(client, bad):
    assert client.get(bad).status_code == 404


def test_every_handset_url_is_404_when_disabled(client, call, settings):
    settings.SIMULATED_PHONE_ENABLED = False
    for method, url in [
        ("get", "/phone/"),
        ("get", phone_url()),
        ("get", reverse("verification:handset_version", kwargs={"phone": PHONE})),
        ("post", key_in_url(call)),
        ("post", hang_up_url(call)),
        ("get", key_in_url(call)),
    ]:
        response = getattr(client, method)(url, {"digits": ars_display_code(call)})
        assert response.status_code == 404, url
    assert challenge_status(challenge_id=call.pk) == "pending"


def test_handset_comes_back_when_enabled_again(client, settings):
    settings.SIMULATED_PHONE_ENABLED = False
    assert client.get("/phone/").status_code == 404
    settings.SIMULATED_PHONE_ENABLED = True
    assert client.get("/phone/").status_code == 200
