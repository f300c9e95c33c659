"""Admin pages for challenges and the handset outbox: they open, are read-only, show no secret."""

import pytest
from django.urls import reverse

from tests.verification.conftest import PHONE, SIMULATED
from verification.models import Challenge, HandsetMessage
from verification.services import ars_call_start, sms_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(committed, settings, clock):
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED
    sms = committed(sms_send, phone=PHONE, purpose="issue.sms")
    call = committed(ars_call_start, phone=PHONE, purpose="issue.ars")
    return sms, call


@pytest.mark.parametrize("model", [Challenge, HandsetMessage])
def test_changelist_and_search(admin_client, records, model):
    url = reverse(f"admin:verification_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "010-1234-****" in html
    assert "010-1234-5678" not in html
    assert admin_client.get(url, {"q": "010-1234-5678"}).status_code == 200
    assert admin_client.get(url, {"q": "아무거나"}).status_code == 200
    add = reverse(f"admin:verification_{model._meta.model_name}_add")
    assert admin_client.get(add).status_code == 403


@pytest.fixture
def challenge_for_customer(committed, settings, clock, customer):
    settings.SMS_BACKEND = SIMULATED
    return committed(sms_send, phone=customer.phone, purpose="issue.sms", customer=customer)


def staff_client(client, group):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("staff", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.mark.parametrize(("group", "may_search_phone"),
                         [(None, True), ("인증서 관리자", True), ("인증서 검토자", False)])
def test_challenge_search_by_role(client, admin_client, challenge_for_customer, group,
                                  may_search_phone):
    """A reviewer sees the phone masked, so searching by it would confirm a guessed number."""
    client = staff_client(client, group) if group else admin_client
    url = reverse("admin:verification_challenge_changelist")

    def found(term):
        response = client.get(url, {"q": term})
        assert response.status_code == 200
        return [c.pk for c in response.context["cl"].result_list]

    assert found("hong") == [challenge_for_customer.pk]  # the user ID, shown in full everywhere
    for term in ["010-1234-5678", "01012345678", "+821012345678"]:
        assert found(term) == ([challenge_for_customer.pk] if may_search_phone else []), term
    for term in ["010-1234", "+8210123456", "hon", "1234"]:
        assert found(term) == [], term


def test_challenge_page_shows_no_code_hmac(admin_client, records):
    sms, _ = records
    response = admin_client.get(reverse("admin:verification_challenge_change", args=[sms.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert sms.code_hmac not in html
    assert "010-1234-****" in html


def test_handset_message_page_shows_no_body(admin_client, records):
    message = HandsetMessage.objects.get(kind=HandsetMessage.Kind.SMS)
    url = reverse("admin:verification_handsetmessage_change", args=[message.pk])
    html = admin_client.get(url).content.decode()
    assert message.body not in html
    assert "인증번호" not in html
    assert message.body_encrypted not in html
