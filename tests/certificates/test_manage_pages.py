"""인증서 관리 pages through the test client: 조회, PEM, 비밀번호 변경, 해지, and every refusal."""

import io
import re
from datetime import timedelta

import pytest
from cryptography import x509
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from certificates import pki
from certificates.models import Certificate, CertificateEvent, CertificateUse, SealedKey
from certificates.publication import crl_current
from certificates.services import PinRefused, certificate_unlock_key, pin_retry_delay
from tests.certificates.conftest import cloud_connect
from tests.conftest import PIN

pytestmark = pytest.mark.django_db

WRONG = "975310"
NEW_PIN = "246802"
MANAGE = reverse("certificates:manage")
PIN_PAGE = reverse("certificates:manage_pin")
REVOKE_PAGE = reverse("certificates:manage_revoke")
PEM = reverse("certificates:manage_pem")


@pytest.fixture(autouse=True)
def fast_kdf(settings):
    settings.PIN_SCRYPT_N = 2**10


connect = cloud_connect


@pytest.fixture
def browser(client, customer):
    """A browser connected to 홍길동's cloud certificates."""
    return connect(client, customer)


@pytest.fixture
def post(browser, django_capture_on_commit_callbacks):
    """POST as the connected browser, running what waits for the commit (CRL, notices)."""

    def send(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(url, data)

    return send


def page(response) -> str:
    assert response.status_code == 200, response
    return response.content.decode()


def failures_of(certificate) -> int:
    return SealedKey.objects.get(pk=certificate.sealed_key_id).pin_failures


def change(new=NEW_PIN, current=PIN, confirm=None):
    return {"pin": current, "new_pin": new, "new_pin_confirm": confirm or new}


def use(certificate, *, purpose="01", result="ok", at=None, digest="ab" * 32):
    return CertificateUse.objects.create(
        certificate=certificate, customer=certificate.customer, purpose=purpose,
        content_digest=digest, result=result, client_ip="203.0.113.9",
        created_at=at or timezone.now(),
    )


# -- Connection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [MANAGE, PEM, PIN_PAGE, REVOKE_PAGE])
def test_a_browser_not_connected_is_sent_to_connect_first(client, certificate, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("certificates:cloud_connect"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("url", [MANAGE, PIN_PAGE, REVOKE_PAGE])
def test_pages_with_personal_data_are_not_cached(browser, certificate, url):
    assert "no-store" in browser.get(url)["Cache-Control"]


# -- 인증서 조회 ------------------------------------------------------------------------------------

def test_overview_shows_the_current_certificate_in_full(browser, certificate):
    body = page(browser.get(MANAGE))
    assert certificate.subject in body  # the customer's own certificate: not masked
    parsed = pki.load_certificate(bytes(certificate.der))
    assert pki.fingerprint_sha256(parsed) in body
    assert "정상" in body and "사용 중" in body
    assert timezone.localtime(certificate.not_after).strftime("%Y.%m.%d") in body
    for url in (PEM, PIN_PAGE, REVOKE_PAGE, reverse("certificates:terms")):
        assert f'href="{url}"' in body
    assert "아직 이 인증서로 전자서명한 내역이 없습니다" in body


def test_overview_links_to_the_devices_page(browser, certificate):
    assert f'href="{reverse("certificates:cloud_devices")}"' in page(browser.get(MANAGE))


def test_overview_shows_uses_last_use_and_signature_count(browser, certificate):
    first = timezone.now() - timedelta(days=2)
    use(certificate, at=first)
    use(certificate, purpose="02", at=first + timedelta(hours=1), digest="cd" * 32)
    latest = use(certificate, result="bad_signature", at=first + timedelta(days=1))

    response = browser.get(MANAGE)
    body = page(response)
    current = response.context["current"]
    assert current.signature_count == 2  # refused uses are not signatures
    assert current.last_used_at == latest.created_at
    assert "abababababababab…" in body and "cdcdcdcdcdcdcdcd…" in body
    assert "로그인" in body and "송금" in body
    assert "203.0.113.9" in body
    assert "거부: 서명 값이 올바르지 않습니다." in body and "성공" in body
    assert timezone.localtime(latest.created_at).strftime("%Y.%m.%d %H:%M") in body


def test_overview_lists_past_certificates_with_their_dates(browser, certificate,
                                                           certificate_factory):
    use(certificate)
    new = certificate_factory(pin=NEW_PIN, reissue_reason="lost")
    old = Certificate.objects.get(pk=certificate.pk)

    response = browser.get(MANAGE)
    body = page(response)
    listed = response.context["certificates"]
    assert [c.pk for c in listed] == [new.pk, old.pk]
    assert response.context["current"].pk == new.pk
    assert listed[1].signature_count == 1 and listed[1].last_used_at is not None
    assert "폐기" in body and "키 손상" in body  # reissue after loss: keyCompromise
    assert timezone.localtime(old.revoked_at).strftime("%Y.%m.%d") in body
    assert new.subject in body


def test_overview_shows_the_renewal_date(browser, certificate, settings):
    settings.RENEWAL_WINDOW_DAYS = 400
    call_command("renew_certificates", stdout=io.StringIO())
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.RENEWED
    response = browser.get(MANAGE)
    renewed = [c for c in response.context["certificates"] if c.pk == certificate.pk][0]
    assert renewed.renewed_at == certificate.renewed_by.created_at
    assert "갱신됨" in page(response) and "자동 갱신" in page(response)


def test_overview_shows_only_the_connected_customers_certificates(
    browser, certificate, certificate_factory, customer_factory
):
    other = certificate_factory(customer=customer_factory(name="김철수"))
    use(other, digest="ef" * 32)
    response = browser.get(MANAGE)
    body = page(response)
    assert other.subject not in body and format_serial_in(other, body) is False
    assert "efefefef" not in body
    assert [c.pk for c in response.context["certificates"]] == [certificate.pk]


def format_serial_in(certificate, body) -> bool:
    from certificates.display import format_serial

    return format_serial(certificate.serial) in body


def test_overview_without_a_certificate_offers_issuance(browser, customer):
    body = page(browser.get(MANAGE))
    assert "현재 사용 중인 금융인증서가 없습니다" in body
    assert f'href="{reverse("certificates:terms")}"' in body
    assert "인증서 발급" in body


def test_overview_of_a_locked_certificate_leads_to_reissue(browser, certificate):
    lock(certificate)
    body = page(browser.get(MANAGE))
    assert "잠긴 인증서입니다" in body and "비밀번호 분실/잠김" in body


# -- PEM --------------------------------------------------------------------------------------

def test_pem_of_the_current_certificate(browser, certificate):
    response = browser.get(PEM)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert "attachment" in response["Content-Disposition"]
    parsed = x509.load_pem_x509_certificate(response.content)
    assert parsed.serial_number == certificate.serial_int


def test_pem_without_a_current_certificate_goes_back_to_the_overview(browser, customer):
    response = browser.get(PEM)
    assert response.status_code == 302 and response["Location"] == MANAGE


# -- 비밀번호 변경 --------------------------------------------------------------------------------

def test_pin_page_shows_the_pad_the_rules_and_no_count_yet(browser, certificate):
    body = page(browser.get(PIN_PAGE))
    assert len(re.findall(r'data-digit="\d"', body)) == 10
    assert 'name="new_pin"' in body and 'name="new_pin_confirm"' in body
    assert "현재 비밀번호와 달라야 합니다" in body
    assert "회 오류 (" not in body


def test_changing_the_pin(browser, post, certificate, outbox):
    response = post(PIN_PAGE, change())
    assert response.status_code == 302 and response["Location"] == MANAGE
    body = page(browser.get(MANAGE))
    assert "비밀번호를 변경했습니다" in body

    # Same certificate, same key, new PIN; the old one no longer opens it.
    assert Certificate.objects.count() == 1
    key = certificate_unlock_key(certificate=certificate, pin=NEW_PIN)
    issued = pki.load_certificate(bytes(certificate.der)).public_key()
    assert key.public_key().public_numbers() == issued.public_numbers()
    with pytest.raises(PinRefused):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    assert CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_CHANGED,
                                           certificate=certificate, client_ip="127.0.0.1").exists()
    assert [m for m in outbox if "비밀번호가 변경되었습니다" in m.body and "본인이 아닌 경우" in m.body]


def test_the_new_pin_must_differ_from_the_current_one(browser, post, certificate):
    response = post(PIN_PAGE, change(new=PIN))
    body = page(response)
    assert response.context["form"].has_error("new_pin", "same_as_current")
    assert "현재 비밀번호와 같은 비밀번호로는 변경할 수 없습니다" in body
    assert failures_of(certificate) == 0
    assert not CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_CHANGED).exists()


@pytest.mark.parametrize(("new_pin", "code"), [("123456", "sequential"), ("121212", "pattern"),
                                               ("900101", "birth_date")])
def test_the_new_pin_keeps_the_pin_rules(browser, post, certificate, new_pin, code):
    response = post(PIN_PAGE, change(new=new_pin))
    page(response)
    assert response.context["form"].has_error("new_pin", code)
    assert failures_of(certificate) == 0
    assert certificate_unlock_key(certificate=certificate, pin=PIN)  # unchanged


def test_the_new_pin_typed_twice_must_match(browser, post, certificate):
    response = post(PIN_PAGE, change(confirm="246803"))
    page(response)
    assert response.context["form"].has_error("new_pin_confirm", "mismatch")


def test_a_wrong_current_pin_shows_the_tries_left_and_the_count(browser, post, certificate):
    response = post(PIN_PAGE, change(current=WRONG))
    body = page(response)
    assert response.context["form"].has_error("pin", "wrong_pin")
    assert "비밀번호가 일치하지 않습니다" in body and "남은 횟수 4회" in body
    assert "비밀번호 1회 오류 (5회 오류 시 이용 제한)" in body
    assert 'id="id_pin_failures"' in body
    # What was typed is never sent back.
    assert WRONG not in body and NEW_PIN not in body


def test_asking_again_at_once_is_refused_without_a_count(browser, post, certificate):
    post(PIN_PAGE, change(current=WRONG))
    response = post(PIN_PAGE, change(current=WRONG))
    body = page(response)
    assert response.context["form"].has_error("__all__", "too_soon")
    assert "잠시 후 다시 시도해 주세요" in body
    assert failures_of(certificate) == 1
    assert "비밀번호 1회 오류" in body


def test_a_pin_that_is_not_six_digits_is_refused_without_a_count(browser, post, certificate):
    response = post(PIN_PAGE, change(current="12ab56"))
    page(response)
    assert response.context["form"].has_error("pin", "pin_format")
    assert failures_of(certificate) == 0


def test_the_fifth_wrong_pin_locks_and_the_page_leads_to_reissue(
    browser, post, certificate, time_machine, settings
):
    time_machine.move_to(timezone.now(), tick=False)
    for attempt in range(1, settings.PIN_MAX_FAILURES):
        body = page(post(PIN_PAGE, change(current=WRONG)))
        assert f"비밀번호 {attempt}회 오류" in body
        time_machine.shift(pin_retry_delay(attempt))
    response = post(PIN_PAGE, change(current=WRONG))
    assert response.status_code == 302 and response["Location"] == PIN_PAGE

    body = page(browser.get(PIN_PAGE))
    assert "5회 잘못 입력하여 인증서 이용이 제한되었습니다" in body
    assert "비밀번호 분실/잠김" in body
    assert f'href="{reverse("certificates:terms")}"' in body
    assert 'data-digit' not in body  # no PIN asked any more
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED
    assert CertificateEvent.objects.filter(kind=CertificateEvent.Kind.LOCKED,
                                           certificate=certificate).count() == 1


def lock(certificate):
    SealedKey.objects.filter(pk=certificate.sealed_key_id).update(locked_at=timezone.now(),
                                                                 pin_failures=5)
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.LOCKED)


@pytest.mark.parametrize("url", [PIN_PAGE, REVOKE_PAGE])
def test_a_locked_certificate_is_refused_on_get_and_post(browser, post, certificate, url):
    lock(certificate)
    assert "인증서 이용이 제한되었습니다" in page(browser.get(url))
    body = page(post(url, {**change(), "confirm": "on"}))
    assert "인증서 이용이 제한되었습니다" in body
    assert CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_FAILED).count() == 0


@pytest.mark.parametrize("url", [PIN_PAGE, REVOKE_PAGE])
def test_without_a_current_certificate_the_page_offers_issuance(browser, customer, url):
    body = page(browser.get(url))
    assert "현재 사용 중인 금융인증서가 없습니다" in body
    assert f'href="{reverse("certificates:terms")}"' in body


@pytest.mark.parametrize("url", [PIN_PAGE, REVOKE_PAGE])
def test_after_revocation_the_page_says_so(browser, post, certificate, url):
    from certificates.lifecycle import certificate_revoke

    certificate_revoke(certificate=certificate, reason="key_compromise", actor="staff")
    body = page(browser.get(url))
    assert "현재 사용 중인 금융인증서가 없습니다" in body
    assert "가장 최근 인증서의 상태: 폐기" in body


@pytest.mark.parametrize("url", [PIN_PAGE, REVOKE_PAGE])
def test_an_expired_certificate_is_refused_clearly(browser, post, certificate, url):
    Certificate.objects.filter(pk=certificate.pk).update(
        not_after=timezone.now() - timedelta(minutes=1))
    body = page(browser.get(url))
    assert "유효기간이 만료된 인증서입니다" in body and "유효기간 만료" in body
    assert "유효기간이 만료된 인증서입니다" in page(post(url, {**change(), "confirm": "on"}))
    assert failures_of(certificate) == 0


@pytest.mark.parametrize("url", [PIN_PAGE, REVOKE_PAGE])
def test_a_certificate_needing_reissue_is_refused_clearly(browser, certificate, url):
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.REISSUE_REQUIRED)
    body = page(browser.get(url))
    assert "재발급이 필요합니다" in body and "개인정보 변경" in body


def test_a_certificate_that_changed_meanwhile_is_refused_after_the_post(
    browser, post, certificate, monkeypatch
):
    # The page was drawn for an active certificate; staff locked it before the PIN was checked.
    from certificates.manage import views as manage_views

    real = manage_views.certificate_change_pin

    def locked_meanwhile(**kwargs):
        lock(certificate)
        return real(**kwargs)

    monkeypatch.setattr(manage_views, "certificate_change_pin", locked_meanwhile)
    response = post(PIN_PAGE, change())
    assert response.status_code == 302 and response["Location"] == PIN_PAGE
    assert "인증서 이용이 제한되었습니다" in page(browser.get(PIN_PAGE))


# -- 인증서 해지 ----------------------------------------------------------------------------------

def test_revoke_page_asks_for_the_pin_and_a_confirmation(browser, certificate):
    body = page(browser.get(REVOKE_PAGE))
    assert len(re.findall(r'data-digit="\d"', body)) == 10
    assert 'name="confirm"' in body and "되돌릴 수 없습니다" in body


def test_revoking_without_the_confirmation_is_refused_and_costs_no_try(browser, post, certificate):
    response = post(REVOKE_PAGE, {"pin": WRONG})
    page(response)
    assert response.context["form"].has_error("confirm", "required")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE
    assert failures_of(certificate) == 0


def test_revoking_with_a_wrong_pin(browser, post, certificate):
    response = post(REVOKE_PAGE, {"pin": WRONG, "confirm": "on"})
    body = page(response)
    assert "남은 횟수 4회" in body and "비밀번호 1회 오류" in body
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


def test_revoking_the_certificate(browser, post, certificate, outbox):
    response = post(REVOKE_PAGE, {"pin": PIN, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == MANAGE

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revocation_reason == "cessation_of_operation"
    event = CertificateEvent.objects.get(kind=CertificateEvent.Kind.REVOKED)
    assert (event.actor, event.certificate, event.client_ip) == ("customer", certificate,
                                                                 "127.0.0.1")
    crl = x509.load_der_x509_crl(bytes(crl_current().der))
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_int)
    assert entry is not None
    assert (entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            == x509.ReasonFlags.cessation_of_operation)
    assert [m for m in outbox if "폐기되었습니다" in m.body and "본인이 아닌 경우" in m.body]

    body = page(browser.get(MANAGE))
    assert "해지했습니다" in body
    assert "현재 사용 중인 금융인증서가 없습니다" in body
    assert f'href="{reverse("certificates:terms")}"' in body
    assert "사용 중지" in body  # the revoked one stays in the list, with its reason


def test_refused_uses_are_listed_in_the_customers_words(certificate, client):
    from certcenter.clock import now
    from certificates.models import CertificateUse

    CertificateUse.objects.create(certificate=certificate, customer=certificate.customer,
                                  purpose="02", content_digest="ab" * 32, result="on_crl",
                                  client_ip="203.0.113.9", created_at=now())
    cloud_connect(client, certificate.customer)
    page = client.get("/personal/finance-cert/manage/").content.decode()
    assert "거부: 인증서 폐지 목록(CRL)에 등록된 인증서입니다." in page
    assert "on_crl" not in page
