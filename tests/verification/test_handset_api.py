"""The handset's JSON API (/phone/api/<phone>/…): messages, the ringing call, keys, hang-up, fraud
report, clearing a phone; the switch (404), the bearer token (401), bad input (400), all JSON."""

import json
import re

import pytest

from tests.verification.conftest import NATIONAL, PHONE, SIMULATED, code_in
from verification.models import Challenge, FraudReport, HandsetMessage
from verification.services import (
    ars_call_start,
    ars_display_code,
    challenge_status,
    sms_notify,
    sms_send,
)

pytestmark = pytest.mark.django_db

HYPHENATED = "010-1234-5678"
BASE = f"/phone/api/{NATIONAL}/"
ENDPOINTS = [
    ("delete", BASE),
    ("get", BASE + "messages/"),
    ("get", BASE + "call/"),
    ("post", BASE + "call/keys/"),
    ("post", BASE + "call/hang-up/"),
    ("post", BASE + "fraud/"),
]


@pytest.fixture(autouse=True)
def simulated(settings):
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED
    settings.SIMULATED_PHONE_ENABLED = True
    settings.SIMULATED_PHONE_TOKEN = ""


@pytest.fixture
def call(committed, customer):
    return committed(ars_call_start, phone=PHONE, purpose="issue.ars", customer=customer)


def post_json(client, url, data=None, **extra):
    body = "" if data is None else json.dumps(data)
    return client.post(url, body, content_type="application/json", **extra)


# --- messages -------------------------------------------------------------------------------------


def test_messages_newest_first_with_the_code_and_purpose(client, committed, clock):
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    clock.shift(61)
    committed(sms_send, phone=PHONE, purpose="cloud.connect")
    clock.shift(1)
    committed(sms_notify, phone=PHONE, text="[KB국민은행] 금융인증서가 발급되었습니다.")

    response = client.get(BASE + "messages/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["phone"] == HYPHENATED
    notice, second, first = data["messages"]
    rows = list(HandsetMessage.objects.order_by("id"))
    assert [m["id"] for m in data["messages"]] == [str(r.pk) for r in reversed(rows)]
    assert notice == {
        "id": str(rows[2].pk), "sent_at": "2025-03-04T01:01:02+00:00",
        "body": "[KB국민은행] 금융인증서가 발급되었습니다.", "code": None, "purpose": None,
    }
    assert second["code"] == code_in(rows[1].body)
    assert second["purpose"] == "cloud.connect"
    assert first["code"] == code_in(rows[0].body)
    assert first["purpose"] == "issue.sms"
    assert first["body"] == rows[0].body
    assert first["sent_at"] == "2025-03-04T01:00:00+00:00"


def test_messages_accepts_the_hyphenated_phone_and_a_limit(client, committed, clock):
    for _ in range(3):
        committed(sms_send, phone=PHONE, purpose="issue.sms")
        clock.shift(61)
    data = client.get(f"/phone/api/{HYPHENATED}/messages/?limit=2").json()
    assert data["phone"] == HYPHENATED
    assert len(data["messages"]) == 2
    newest = HandsetMessage.objects.order_by("-id").first()
    assert data["messages"][0]["id"] == str(newest.pk)


def test_messages_of_an_empty_phone(client):
    assert client.get(BASE + "messages/").json() == {"phone": HYPHENATED, "messages": []}


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "201", ""])
def test_a_bad_limit_is_a_400_in_korean(client, limit):
    response = client.get(BASE + f"messages/?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()["error"]


def test_messages_of_another_phone_are_not_listed(client, committed):
    committed(sms_send, phone="010-2345-6789", purpose="issue.sms")
    assert client.get(BASE + "messages/").json()["messages"] == []


# --- the call -------------------------------------------------------------------------------------


def test_no_call(client):
    response = client.get(BASE + "call/")
    assert response.status_code == 200
    assert response.json() == {"call": None}


def test_the_ringing_call(client, call):
    data = client.get(BASE + "call/").json()
    assert data["call"]["id"] == str(call.pk)
    assert data["call"]["state"] == "ringing"
    assert data["call"]["caller"] == "KB국민은행 ARS"
    assert "화면에 표시된 숫자 두 자리를 입력하세요" in data["call"]["prompt"]
    assert "9번을 눌러 신고" in data["call"]["prompt"]
    assert data["call"]["digits_expected"] == 2
    # The digits are on the web page only, never on the phone.
    assert not re.search(r"\d\d", data["call"]["prompt"] + data["call"]["caller"])


def test_an_expired_call_no_longer_rings(client, clock, call):
    clock.shift(181)
    assert client.get(BASE + "call/").json() == {"call": None}


def test_keys_right_digits_accept_the_call(client, call):
    response = post_json(client, BASE + "call/keys/", {"digits": ars_display_code(call)})
    assert response.status_code == 200
    data = response.json()
    assert data["result"] == "accepted"
    assert data["call"] is None
    assert data["message"] == "전화 인증이 완료되었습니다."
    assert challenge_status(challenge_id=call.pk) == "verified"


def test_keys_wrong_digits_say_so_and_the_call_rings_on(client, call):
    wrong = "11" if ars_display_code(call) != "11" else "12"
    data = post_json(client, BASE + "call/keys/", {"digits": wrong}).json()
    assert data["result"] == "wrong"
    assert data["attempts_left"] == 2
    assert data["call"]["id"] == str(call.pk)
    assert Challenge.objects.get(pk=call.pk).attempts == 1


def test_keys_without_a_ringing_call_is_a_404(client):
    response = post_json(client, BASE + "call/keys/", {"digits": "12"})
    assert response.status_code == 404
    assert response.json() == {"error": "전화 수신 중인 ARS 통화가 없습니다."}


@pytest.mark.parametrize(
    "body", ["", "not json", "[1, 2]", '{"digits": 12}', '{"digit": "12"}', '{"digits": "abc"}',
             '{"digits": "123"}', '{"digits": "1"}'],
)
def test_keys_bad_input_is_a_400_without_counting_a_try(client, call, body):
    response = client.post(BASE + "call/keys/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert Challenge.objects.get(pk=call.pk).attempts == 0
    assert challenge_status(challenge_id=call.pk) == "pending"


def test_keys_nine_reports_the_call(client, call, customer):
    data = post_json(client, BASE + "call/keys/", {"digits": "9"}).json()
    assert data["result"] == "reported"
    assert data["call"] is None
    report = FraudReport.objects.get()
    assert data["report_id"] == report.pk
    assert report.challenge_id == call.pk
    assert report.customer == customer
    assert challenge_status(challenge_id=call.pk) == "reported"


def test_hang_up_ends_the_ringing_call(client, call):
    response = client.post(BASE + "call/hang-up/")
    assert response.status_code == 200
    assert response.json() == {"hung_up": True, "call": None}
    assert challenge_status(challenge_id=call.pk) == "cancelled"


def test_hang_up_without_a_call_is_no_error(client):
    response = client.post(BASE + "call/hang-up/")
    assert response.status_code == 200
    assert response.json() == {"hung_up": False, "call": None}


# --- fraud ----------------------------------------------------------------------------------------


def test_fraud_report_of_the_ringing_call(client, clock, call, customer):
    response = post_json(client, BASE + "fraud/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    data = response.json()
    report = FraudReport.objects.get()
    assert data["reported"] is True
    assert data["created"] is True
    assert data["report_id"] == report.pk
    assert data["source"] == "call"
    assert data["challenge_id"] == str(call.pk)
    assert data["blocked_until"] == "2025-03-05T01:00:00+00:00"
    assert report.client_ip == "203.0.113.9"


def test_fraud_report_of_an_sms(client, committed, customer):
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms", customer=customer)
    message = HandsetMessage.objects.get()
    data = post_json(client, BASE + "fraud/", {"message_id": str(message.pk)}).json()
    assert data["reported"] is True
    assert data["source"] == "sms"
    assert data["challenge_id"] == str(challenge.pk)
    assert challenge_status(challenge_id=challenge.pk) == "reported"


def test_fraud_report_twice_answers_with_the_first(client, call):
    first = post_json(client, BASE + "fraud/").json()
    # The call no longer rings: a second report of "the ringing call" finds none.
    assert post_json(client, BASE + "fraud/").status_code == 404
    again = post_json(client, BASE + "call/keys/", {"digits": "9"})
    assert again.status_code == 404
    assert FraudReport.objects.count() == 1
    assert first["created"] is True


def test_fraud_without_a_call_is_a_404(client):
    response = post_json(client, BASE + "fraud/")
    assert response.status_code == 404
    assert response.json() == {"error": "전화 수신 중인 ARS 통화가 없습니다."}


def test_fraud_for_a_message_of_another_phone_is_a_404(client, committed):
    committed(sms_send, phone="010-2345-6789", purpose="issue.sms")
    other = HandsetMessage.objects.get()
    response = post_json(client, BASE + "fraud/", {"message_id": str(other.pk)})
    assert response.status_code == 404
    assert response.json() == {"error": "이 휴대폰에 그런 문자가 없습니다."}
    assert not FraudReport.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[]", '{"message_id": "abc"}',
                                  '{"message_id": [1]}', '{"message_id": "-1"}'])
def test_fraud_bad_input_is_a_400(client, call, body):
    response = client.post(BASE + "fraud/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert not FraudReport.objects.exists()


# --- clearing a phone -----------------------------------------------------------------------------


def test_delete_clears_the_phone_and_ends_its_call(client, committed, call):
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    committed(sms_send, phone="010-2345-6789", purpose="issue.sms")
    response = client.delete(f"/phone/api/{HYPHENATED}/")
    assert response.status_code == 200
    assert response.json() == {"phone": HYPHENATED, "deleted": 2}
    assert not HandsetMessage.objects.filter(phone=PHONE).exists()
    assert HandsetMessage.objects.count() == 1  # the other phone keeps its message
    assert challenge_status(challenge_id=call.pk) == "cancelled"
    assert client.get(BASE + "messages/").json()["messages"] == []
    assert client.get(BASE + "call/").json() == {"call": None}


# --- the switch, the token, methods, phones -------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_api_url_is_a_404_when_the_handset_is_off(client, settings, method, url):
    settings.SIMULATED_PHONE_ENABLED = False
    settings.SIMULATED_PHONE_TOKEN = "s3cret"
    response = getattr(client, method)(url, HTTP_AUTHORIZATION="Bearer s3cret")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "s3cret", "Basic s3cret",
                                           "Bearer s3cret2", "Bearer "])
def test_with_a_token_set_every_url_wants_it(client, settings, method, url, authorization):
    settings.SIMULATED_PHONE_TOKEN = "s3cret"
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = getattr(client, method)(url, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "토큰" in response.json()["error"]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_with_the_right_token_every_url_answers(client, settings, method, url):
    settings.SIMULATED_PHONE_TOKEN = "s3cret"
    response = getattr(client, method)(url, HTTP_AUTHORIZATION="Bearer s3cret")
    # No call is ringing: keys and fraud say so; the rest succeed.
    assert response.status_code in (200, 400, 404)
    assert response.status_code != 401
    if url.endswith(("messages/", "call/", "hang-up/")) or method == "delete":
        assert response.status_code == 200


def test_without_a_token_set_no_header_is_needed(client):
    assert client.get(BASE + "messages/").status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", BASE + "messages/"), ("get", BASE + "call/keys/"), ("put", BASE + "call/"),
     ("get", BASE + "fraud/"), ("get", BASE), ("get", BASE + "call/hang-up/")],
)
def test_wrong_method_is_a_405_in_json(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Allow"]
    assert response.json()["error"] == "허용되지 않은 요청 방식입니다."


def test_posts_need_no_csrf_token(call, settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(BASE + "call/keys/", json.dumps({"digits": ars_display_code(call)}),
                           content_type="application/json")
    assert response.status_code == 200
    assert response.json()["result"] == "accepted"


@pytest.mark.parametrize("phone", ["01112345678", "0101234567", "010-12345678x", "+821012345678"])
def test_a_phone_that_is_not_010_is_not_found(client, phone):
    assert client.get(f"/phone/api/{phone}/messages/").status_code == 404
