"""The uses of a certificate on its admin page: read-only, the customer masked, the latest first."""

import hashlib
import html
from datetime import timedelta

import pytest
from django.urls import reverse

from certcenter.clock import now
from certificates.models import CertificateUse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PIN_SCRYPT_N = 2**10


def use(certificate, customer, *, result="ok", purpose="01", minutes_ago=0):
    # One accepted use per content: each its own digest.
    digest = hashlib.sha256(f"{result}{purpose}{minutes_ago}".encode()).hexdigest()
    return CertificateUse.objects.create(
        certificate=certificate, customer=customer, purpose=purpose, content_digest=digest,
        result=result, client_ip="192.0.2.9", created_at=now() - timedelta(minutes=minutes_ago),
    )


def change_page(admin_client, certificate):
    response = admin_client.get(reverse("admin:certificates_certificate_change",
                                        args=[certificate.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_uses_are_listed_on_the_certificate(admin_client, certificate, customer, customer_factory):
    accepted = use(certificate, customer, minutes_ago=2)
    use(certificate, customer_factory(user_id="intruder", name="김철수"), result="not_owner",
        purpose="02", minutes_ago=1)
    text = change_page(admin_client, certificate)
    assert "사용 기록 (최근 50건)" in text
    assert "정상" in text and "192.0.2.9" in text and accepted.content_digest in text
    assert "거부: not_owner (이용 중인 고객 본인의 인증서가 아닙니다.)" in text
    assert "hong (홍*동)" in text and "intruder (김*수)" in text
    uses = text.split("사용 기록 (최근 50건)")[1]
    assert "홍길동" not in uses and "김철수" not in uses  # masked
    assert uses.index("intruder (김*수)") < uses.index("hong (홍*동)")  # newest first


def test_only_the_latest_uses_are_shown(admin_client, certificate, customer):
    for minutes in range(55):
        use(certificate, customer, result="replayed" if minutes == 54 else "ok", minutes_ago=minutes)
    text = change_page(admin_client, certificate)
    assert text.count("192.0.2.9") == 50
    assert "replayed" in CertificateUse.objects.order_by("created_at").first().result
    assert "거부: replayed" not in text  # the oldest is beyond the page


def test_uses_cannot_be_added_or_changed_in_admin(admin_client, certificate, customer):
    use(certificate, customer)
    response = admin_client.get(reverse("admin:certificates_certificate_change",
                                        args=[certificate.pk]))
    formset = next(f for f in response.context["inline_admin_formsets"]
                   if f.formset.model is CertificateUse)
    assert not formset.has_add_permission and not formset.has_change_permission
    assert not formset.has_delete_permission
