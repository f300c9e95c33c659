"""The 모의 인터넷뱅킹 through the test client: 로그인, 로그아웃, 이체 and its receipt and downloads,
every page and refusal (openssl verifies a signature made through the view)."""

import hashlib
import html
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.services import customer_update
from certcenter.clock import now
from certificates import lifecycle
from certificates.banking import session as bank
from certificates.models import Certificate, CertificateEvent, CertificateUse
from certificates.services import pin_retry_delay
from certificates.signing import SignatureRefused, signature_verify
from tests.certificates.conftest import cloud_connect
from tests.conftest import PIN

# The bank checks the CRL on every signature: one is published, as init_ca does.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("published_crl")]

HOME = reverse("certificates:bank_home")
LOGIN = reverse("certificates:bank_login")
LOGOUT = reverse("certificates:bank_logout")
TRANSFER = reverse("certificates:bank_transfer")
CONFIRM = reverse("certificates:bank_transfer_confirm")
WRONG_PIN = "246801"
TRANSFER_DATA = {"bank": "088", "account": "110-123-456789", "amount": "50,000", "memo": "생활비"}


@pytest.fixture(autouse=True)
def fast_sealing(settings):
    settings.PIN_SCRYPT_N = 2**10


def page(response) -> str:
    return html.unescape(response.content.decode())


connect = cloud_connect


@pytest.fixture
def connected(client, customer):
    connect(client, customer)
    return client


def login(client, pin=PIN):
    client.get(LOGIN)
    return client.post(LOGIN, {"pin": pin})


@pytest.fixture
def signed_in(connected, certificate):
    response = login(connected)
    assert response.status_code == 302 and response["Location"] == HOME, page(response)[:3000]
    return connected


def pending(client, key):
    return client.session.get(key)


# -- 홈 ---------------------------------------------------------------------------------------------

def test_home_is_marked_as_a_simulation_and_offers_login(client):
    text = page(client.get(HOME))
    assert "모의 인터넷뱅킹" in text
    assert "시뮬레이션" in text and "실제 계좌나 돈은 움직이지 않습니다" in text
    assert f'href="{LOGIN}"' in text
    assert "로그아웃" not in text


def test_home_signed_in_shows_who_and_which_certificate(signed_in, customer, certificate):
    response = signed_in.get(HOME)
    text = page(response)
    assert f"{customer.name}님" in text and customer.user_id in text
    assert response.context["serial_display"] in text
    assert certificate.not_after.strftime("%Y.%m") in text
    assert f'action="{LOGOUT}"' in text and f'href="{TRANSFER}"' in text
    assert response["Cache-Control"].startswith("max-age=0")


# -- 로그인 -------------------------------------------------------------------------------------------

def test_login_needs_a_cloud_connection(client, certificate):
    target = reverse("certificates:cloud_connect")
    response = client.get(LOGIN)
    assert response.status_code == 302 and response["Location"].startswith(target)


def test_login_page_shows_the_text_with_a_fresh_nonce(connected, customer, certificate):
    response = connected.get(LOGIN)
    text = page(response)
    request = pending(connected, bank.LOGIN_REQUEST_KEY)
    assert request["content"] in text
    assert request["content"].startswith("[모의 인터넷뱅킹 로그인]\n")
    assert f"인증 요청번호: {request['nonce']}\n" in request["content"]
    assert "일시: " in request["content"] and customer.user_id in request["content"]
    assert 'name="pin"' in text and 'inputmode="numeric"' in text
    assert response.context["serial_display"] in text
    # Every display a new request: a nonce is never shown twice.
    connected.get(LOGIN)
    assert pending(connected, bank.LOGIN_REQUEST_KEY)["nonce"] != request["nonce"]


def test_login_signs_verifies_and_opens_the_banking_session(connected, customer, certificate):
    connected.get(LOGIN)
    request = pending(connected, bank.LOGIN_REQUEST_KEY)
    response = connected.post(LOGIN, {"pin": PIN})
    assert response.status_code == 302 and response["Location"] == HOME
    data = connected.session[bank.BANK_SESSION_KEY]
    assert (data["customer"], data["certificate"]) == (customer.pk, certificate.pk)
    assert pending(connected, bank.LOGIN_REQUEST_KEY) is None  # the request served once
    use = CertificateUse.objects.get()
    assert (use.purpose, use.result, use.certificate, use.client_ip) == (
        "01", "ok", certificate, "127.0.0.1")
    assert use.content_digest == hashlib.sha256(request["content"].encode()).hexdigest()
    assert f"{customer.name}님, 로그인되어 있습니다" in page(connected.get(HOME))


def test_a_wrong_pin_says_so_and_counts(connected, certificate, time_machine):
    time_machine.move_to(now(), tick=False)
    connected.get(LOGIN)
    request = pending(connected, bank.LOGIN_REQUEST_KEY)
    response = connected.post(LOGIN, {"pin": WRONG_PIN})
    text = page(response)
    assert response.status_code == 200
    assert "비밀번호가 일치하지 않습니다. (남은 횟수 4회)" in text
    assert "비밀번호 1회 오류 (5회 오류 시 이용 제한)" in text
    assert bank.BANK_SESSION_KEY not in connected.session
    # Nothing was signed: the request still stands, and the right PIN then signs it (after the
    # pause a wrong PIN imposes; asked sooner, it is not even checked).
    assert pending(connected, bank.LOGIN_REQUEST_KEY) == request
    assert request["content"] in text
    assert "잠시 후 다시 시도해 주세요" in page(connected.post(LOGIN, {"pin": PIN}))
    time_machine.shift(pin_retry_delay(1))
    assert connected.post(LOGIN, {"pin": PIN})["Location"] == HOME


def test_an_empty_pin_is_asked_for_again(connected, certificate):
    connected.get(LOGIN)
    response = connected.post(LOGIN, {"pin": ""})
    assert "인증서 비밀번호 6자리를 입력해 주세요" in page(response)
    assert certificate.sealed_key.__class__.objects.get(pk=certificate.sealed_key_id).pin_failures == 0


def wrong_pins(client, url, count, time_machine):
    """``count`` wrong PINs, each after the pause the previous one imposed."""
    time_machine.move_to(now(), tick=False)
    for attempt in range(1, count + 1):
        text = page(client.post(url, {"pin": WRONG_PIN}))
        assert f"비밀번호 {attempt}회 오류" in text
        time_machine.shift(pin_retry_delay(attempt))


def test_the_fifth_wrong_pin_locks_and_leads_to_reissue(connected, certificate, time_machine):
    connected.get(LOGIN)
    wrong_pins(connected, LOGIN, 4, time_machine)
    response = connected.post(LOGIN, {"pin": WRONG_PIN})
    text = page(response)
    assert "인증서 이용이 제한되었습니다" in text
    assert "비밀번호를 5회 연속 잘못 입력하여" in text
    assert "비밀번호 분실/잠김" in text
    assert f'href="{reverse("certificates:terms")}"' in text
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED
    # And the login page keeps saying so.
    assert "인증서 이용이 제한되었습니다" in page(connected.get(LOGIN))


def test_without_a_certificate_the_login_leads_to_issuance(connected, customer):
    text = page(connected.get(LOGIN))
    assert "금융인증서가 없습니다" in text
    assert f'href="{reverse("certificates:terms")}"' in text
    assert "인증서 발급" in text
    assert pending(connected, bank.LOGIN_REQUEST_KEY) is None


def test_a_certificate_awaiting_reissue_leads_to_reissue(connected, customer, certificate):
    lifecycle.certificates_require_reissue(
        rows=[(certificate.pk, customer.pk, "이름", customer.phone)], moment=now(), notice="n")
    text = page(connected.get(LOGIN))
    assert "고객 정보가 변경되어 인증서를 재발급해야 합니다" in text
    assert "인증서 재발급" in text


def test_an_expired_certificate_leads_to_reissue(client, customer, certificate):
    with time_machine.travel(certificate.not_after + timedelta(seconds=1)):
        connect(client, customer)  # a session of that day (sessions last minutes)
        text = page(client.get(LOGIN))
    assert "유효기간이 지났거나" in text and "인증서 재발급" in text


@pytest.mark.parametrize(("after", "expired"), [
    (bank.REQUEST_TTL, False), (bank.REQUEST_TTL + timedelta(seconds=1), True),
])
def test_a_login_request_expires(connected, certificate, after, expired):
    moment = now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        connected.get(LOGIN)
    with time_machine.travel(moment + after, tick=False):
        response = connected.post(LOGIN, {"pin": PIN})
    if expired:
        assert response["Location"] == LOGIN
        assert "서명 요청 시간이 지났습니다" in page(connected.get(LOGIN))
        assert not CertificateUse.objects.exists()
    else:
        assert response["Location"] == HOME


def test_a_refused_signature_is_shown_and_recorded(connected, customer, certificate):
    customer_update(customer=customer, resident_number="900101-1999990")
    connected.get(LOGIN)
    response = connected.post(LOGIN, {"pin": PIN})
    text = page(response)
    assert "로그인할 수 없습니다" in text
    assert "인증서의 본인 확인 정보(VID)가 등록된 고객 정보와 일치하지 않습니다" in text
    assert f'href="{LOGIN}"' in text
    assert bank.BANK_SESSION_KEY not in connected.session
    assert CertificateUse.objects.get().result == "identity_mismatch"
    event = CertificateEvent.objects.get(kind=CertificateEvent.Kind.SIGNATURE_REFUSED)
    assert event.certificate == certificate and event.client_ip == "127.0.0.1"


def test_login_refuses_get_of_logout_and_logout_ends_the_session(signed_in):
    assert signed_in.get(LOGOUT).status_code == 405
    response = signed_in.post(LOGOUT)
    assert response["Location"] == HOME
    assert bank.BANK_SESSION_KEY not in signed_in.session
    text = page(signed_in.get(HOME))
    assert "로그아웃했습니다" in text and f'href="{LOGIN}"' in text


@pytest.mark.parametrize(("idle", "still_in"), [
    (bank.BANK_IDLE_TIMEOUT, True), (bank.BANK_IDLE_TIMEOUT + timedelta(seconds=1), False),
])
def test_the_banking_session_ends_when_idle(connected, certificate, idle, still_in):
    moment = now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        login(connected)
    with time_machine.travel(moment + idle, tick=False):
        response = connected.get(TRANSFER)
    assert (response.status_code == 200) is still_in
    if not still_in:
        assert response["Location"] == LOGIN
        assert bank.BANK_SESSION_KEY not in connected.session


def test_the_banking_session_follows_the_cloud_connection(signed_in, customer_factory):
    connect(signed_in, customer_factory())  # the browser is now someone else's
    response = signed_in.get(TRANSFER)
    assert response["Location"] == LOGIN
    assert bank.BANK_SESSION_KEY not in signed_in.session


# -- 이체 ---------------------------------------------------------------------------------------------

def test_transfer_needs_the_banking_session(connected, certificate):
    for url in (TRANSFER, CONFIRM):
        response = connected.get(url)
        assert response.status_code == 302 and response["Location"] == LOGIN
    assert connected.post(TRANSFER, TRANSFER_DATA)["Location"] == LOGIN


def test_transfer_form_page(signed_in):
    text = page(signed_in.get(TRANSFER))
    for label in ("받는 분 은행", "받는 분 계좌번호", "금액 (원)", "메모 (선택)", "신한은행", "토스뱅크",
                  "1회 최대 5,000,000원"):
        assert label in text


@pytest.mark.parametrize(("field", "value", "message"), [
    ("bank", "", "받는 분 은행을 선택해 주세요"),
    ("bank", "999", "올바르게 선택해 주세요"),
    ("account", "", "계좌번호를 입력해 주세요"),
    ("account", "110 123 456789", "숫자와 하이픈(-)으로 입력해 주세요"),
    ("account", "110--123456789", "숫자와 하이픈(-)으로 입력해 주세요"),
    ("account", "-110123456789", "숫자와 하이픈(-)으로 입력해 주세요"),
    ("account", "123-456789", "숫자 10~14자리입니다"),
    ("account", "123-456-789012345", "숫자 10~14자리입니다"),
    ("amount", "", "금액을 입력해 주세요"),
    ("amount", "5만원", "원 단위 숫자로 입력해 주세요"),
    ("amount", "-1000", "원 단위 숫자로 입력해 주세요"),
    ("amount", "1.5", "원 단위 숫자로 입력해 주세요"),
    ("amount", "0", "1원 이상 입력해 주세요"),
    ("amount", "5,000,001", "1회 이체 한도는 5,000,000원입니다"),
    ("memo", "첫 줄\n금액: 1원", "줄바꿈이나 제어 문자를 쓸 수 없습니다"),
    ("memo", "right\u202eleft", "줄바꿈이나 제어 문자를 쓸 수 없습니다"),
    ("memo", "가" * 21, "20자 이내로 입력해 주세요"),
])
def test_transfer_form_refusals(signed_in, field, value, message):
    response = signed_in.post(TRANSFER, {**TRANSFER_DATA, field: value})
    assert response.status_code == 200
    assert message in page(response)
    assert pending(signed_in, bank.TRANSFER_REQUEST_KEY) is None


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("amount", "5000000", "금액: 5,000,000원"),
    ("amount", "１２,０００원", "금액: 12,000원"),
    ("amount", "1", "금액: 1원"),
    ("account", "1234567890", "받는 분 계좌: 1234567890"),
    ("account", "12345678901234", "받는 분 계좌: 12345678901234"),
    ("memo", "", "메모: -"),
])
def test_transfer_form_accepts(signed_in, field, value, shown):
    response = signed_in.post(TRANSFER, {**TRANSFER_DATA, field: value})
    assert response["Location"] == CONFIRM
    assert shown in pending(signed_in, bank.TRANSFER_REQUEST_KEY)["content"]


def confirm(client, data=None):
    client.post(TRANSFER, data or TRANSFER_DATA)
    return pending(client, bank.TRANSFER_REQUEST_KEY)


def test_the_confirmation_shows_exactly_the_text_to_sign(signed_in, customer):
    request = confirm(signed_in)
    response = signed_in.get(CONFIRM)
    text = page(response)
    assert request["content"] in text
    assert request["content"] == (
        "[모의 인터넷뱅킹 이체]\n"
        f"출금: KB국민은행 모의 계좌 (이용자 ID {customer.user_id})\n"
        "받는 분 은행: 신한은행\n"
        "받는 분 계좌: 110-123-456789\n"
        "금액: 50,000원\n"
        "메모: 생활비\n"
        f"일시: {re.search(r'일시: (.*)', request['content']).group(1)}\n"
        f"거래 요청번호: {request['nonce']}\n"
    )
    assert 'name="pin"' in text and "이체 승인" in text
    assert f'href="{TRANSFER}"' in text  # 수정: back to the form, filled in
    form = page(signed_in.get(TRANSFER))
    assert 'value="110-123-456789"' in form and 'value="생활비"' in form


def test_confirmation_without_a_transfer_goes_back_to_the_form(signed_in):
    assert signed_in.get(CONFIRM)["Location"] == TRANSFER
    assert signed_in.post(CONFIRM, {"pin": PIN})["Location"] == TRANSFER
    assert not CertificateUse.objects.filter(purpose="02").exists()


def approve(client, pin=PIN):
    request = confirm(client)
    return request, client.post(CONFIRM, {"pin": pin})


def test_a_transfer_is_signed_verified_and_receipted(signed_in, certificate):
    request, response = approve(signed_in)
    assert response.status_code == 302
    number = re.fullmatch(r"/bank/transfer/(\d{16})/", response["Location"]).group(1)
    assert pending(signed_in, bank.TRANSFER_REQUEST_KEY) is None
    use = CertificateUse.objects.get(purpose="02")
    assert use.result == "ok" and use.certificate == certificate
    assert use.content_digest == hashlib.sha256(request["content"].encode()).hexdigest()
    receipt = signed_in.get(response["Location"])
    text = page(receipt)
    for shown in (number, "신한은행", "110-123-456789", "50,000원", "생활비", "이체 완료",
                  receipt.context["serial_display"], request["content"]):
        assert shown in text
    assert reverse("certificates:bank_signature", args=[number]) in text
    assert reverse("certificates:bank_content", args=[number]) in text
    assert "openssl cms -verify" in text


def test_a_wrong_pin_on_a_transfer(signed_in, certificate):
    request, response = approve(signed_in, pin=WRONG_PIN)
    text = page(response)
    assert "비밀번호가 일치하지 않습니다. (남은 횟수 4회)" in text
    assert "비밀번호 1회 오류" in text
    assert request["content"] in text
    assert pending(signed_in, bank.TRANSFER_REQUEST_KEY) == request


def test_the_fifth_wrong_pin_on_a_transfer_locks(signed_in, certificate, time_machine):
    confirm(signed_in)
    wrong_pins(signed_in, CONFIRM, 4, time_machine)
    text = page(signed_in.post(CONFIRM, {"pin": WRONG_PIN}))
    assert "인증서 이용이 제한되었습니다" in text and "인증서 재발급" in text


def test_a_refused_transfer_is_not_approved(signed_in, customer, certificate):
    confirm(signed_in)
    customer_update(customer=customer, resident_number="900101-1999990")
    text = page(signed_in.post(CONFIRM, {"pin": PIN}))
    assert "이체가 승인되지 않았습니다" in text
    assert "본인 확인 정보(VID)" in text
    assert f'href="{TRANSFER}"' in text
    assert CertificateUse.objects.get(purpose="02").result == "identity_mismatch"


def test_a_transfer_request_expires(signed_in):
    moment = now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        confirm(signed_in)
    with time_machine.travel(moment + bank.REQUEST_TTL + timedelta(seconds=1), tick=False):
        response = signed_in.post(CONFIRM, {"pin": PIN})
    assert response["Location"] == TRANSFER
    assert not CertificateUse.objects.filter(purpose="02").exists()


# -- Receipt downloads ---------------------------------------------------------------------------------

@pytest.fixture
def receipt(signed_in):
    request, response = approve(signed_in)
    number = response["Location"].strip("/").rsplit("/", 1)[1]
    return number, request


def test_the_downloads_are_the_signature_and_exactly_the_signed_bytes(signed_in, receipt):
    number, request = receipt
    signature = signed_in.get(reverse("certificates:bank_signature", args=[number]))
    assert signature["Content-Type"] == "application/pkcs7-signature"
    assert f'filename="transfer-{number}.p7s"' in signature["Content-Disposition"]
    content = signed_in.get(reverse("certificates:bank_content", args=[number]))
    assert content["Content-Type"] == "text/plain; charset=utf-8"
    assert content.content == request["content"].encode("utf-8")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_openssl_verifies_a_signature_made_through_the_view(signed_in, receipt, tmp_path, client):
    number, _request = receipt
    (tmp_path / "sig.p7s").write_bytes(
        signed_in.get(reverse("certificates:bank_signature", args=[number])).content)
    content = signed_in.get(reverse("certificates:bank_content", args=[number])).content
    (tmp_path / "content.txt").write_bytes(content)
    (tmp_path / "tampered.txt").write_bytes(content.replace(b"50,000", b"90,000"))
    (tmp_path / "chain.pem").write_bytes(signed_in.get(reverse("certificates:chain")).content)

    def openssl_verify(name):
        return subprocess.run(
            ["openssl", "cms", "-verify", "-CAfile", "chain.pem", "-content", name,
             "-inform", "DER", "-binary", "-in", "sig.p7s", "-out", "/dev/null"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )

    accepted = openssl_verify("content.txt")
    assert accepted.returncode == 0, accepted.stderr
    assert "Verification successful" in accepted.stderr
    assert openssl_verify("tampered.txt").returncode != 0


def test_a_downloaded_signature_is_refused_when_replayed_or_tampered(
        signed_in, receipt, customer, certificate):
    number, request = receipt
    signature = signed_in.get(reverse("certificates:bank_signature", args=[number])).content
    content = signed_in.get(reverse("certificates:bank_content", args=[number])).content
    arguments = {"signature": signature, "customer": customer, "purpose": "02",
                 "nonce": request["nonce"], "expected_nonce": request["nonce"]}
    with pytest.raises(SignatureRefused) as replayed:
        signature_verify(content=content, **arguments)
    assert replayed.value.code == "replayed"
    with pytest.raises(SignatureRefused) as tampered:
        signature_verify(content=content.replace(b"50,000", b"90,000"), **arguments)
    assert tampered.value.code == "content_mismatch"


def test_receipts_belong_to_their_session(signed_in, receipt, client_factory, customer):
    number, _request = receipt
    urls = [reverse(name, args=[number]) for name in
            ("certificates:bank_receipt", "certificates:bank_signature", "certificates:bank_content")]
    other = client_factory()
    connect(other, customer)
    assert login(other)["Location"] == HOME  # the same customer, another browser
    for url in urls:
        assert other.get(url).status_code == 404
    assert signed_in.get(reverse("certificates:bank_receipt", args=["0" * 16])).status_code == 404
    signed_in.post(LOGOUT)
    for url in urls:
        assert signed_in.get(url)["Location"] == LOGIN


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
