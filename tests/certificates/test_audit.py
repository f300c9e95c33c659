"""The audit trail: every lifecycle event with who, when and from where, never a secret; append-only."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from certificates.lifecycle import certificate_revoke
from certificates.models import Certificate, CertificateEvent
from certificates.renewal import certificates_renew
from certificates.services import (
    KeyLocked,
    PinRefused,
    certificate_unlock_key,
)
from tests.conftest import PIN
from verification import services as verification

pytestmark = pytest.mark.django_db

SECOND_PIN = "246802"
RRN = "900101-1234568"
CUSTOMER_IP = "127.0.0.1"  # what the test client sends as REMOTE_ADDR
STAFF_IP = "10.1.2.3"


def trail(customer):
    return list(CertificateEvent.objects.filter(customer=customer).order_by("created_at", "id"))


def codes_sent(outbox):
    return {m.group(1) for d in outbox if d.kind == "sms"
            for m in [re.search(r"\[(\d{6})\]", d.body)] if m}


def assert_no_secret_in(events, secrets):
    for event in events:
        text = " ".join(str(v) for v in [event.reason, event.kind, event.actor, event.client_ip])
        for secret in secrets:
            assert secret not in text, (event.kind, event.reason)


def test_issue_reissue_renew_revoke_leaves_the_whole_trail(
    wizard_factory, customer, settings, outbox, django_capture_on_commit_callbacks
):
    settings.SMS_RESEND_COOLDOWN = 0  # the second walk texts the same phone within a minute
    settings.ARS_RECALL_COOLDOWN = 0
    staff = User.objects.create_user("officer", is_staff=True)

    wizard_factory().issue()
    first = Certificate.objects.get(customer=customer)
    wizard_factory(client=Client()).issue(reason="lost", pin=SECOND_PIN)
    second = Certificate.objects.get(customer=customer, status="active")

    with time_machine.travel(second.not_after - timedelta(days=10)):
        with django_capture_on_commit_callbacks(execute=True):
            report = certificates_renew()
        assert report.renewed == 1
        third = Certificate.objects.get(renewed_from=second)
        with django_capture_on_commit_callbacks(execute=True):
            certificate_revoke(certificate=third, reason="key_compromise",
                               actor=CertificateEvent.Actor.STAFF, staff_user=staff,
                               client_ip=STAFF_IP, note="고객 분실 신고")

    events = trail(customer)
    assert [(e.kind, e.certificate_id) for e in events] == [
        ("issued", first.pk),
        ("revoked", first.pk),  # the reissue revokes the old certificate ...
        ("reissued", second.pk),  # ... in the transaction that activates the new one
        ("renewed", third.pk),
        ("revoked", third.pk),
        # The certificate it was renewed from is still valid over the same key: revoked too.
        ("revoked", second.pk),
    ]
    assert [(e.actor, e.staff_user, e.client_ip) for e in events] == [
        ("customer", None, CUSTOMER_IP),
        ("customer", None, CUSTOMER_IP),
        ("customer", None, CUSTOMER_IP),
        ("system", None, None),
        ("staff", staff, STAFF_IP),
        ("staff", staff, STAFF_IP),
    ]
    assert all(e.created_at is not None for e in events)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    assert events[3].created_at - events[0].created_at > timedelta(days=300)
    assert events[1].reason == "재발급: 분실" and events[2].reason == "분실"
    assert events[3].reason == f"자동 갱신: 이전 일련번호 {second.serial}"
    assert events[4].reason == events[5].reason == "키 손상 고객 분실 신고"

    codes = codes_sent(outbox)
    assert len(codes) == 2  # one SMS code per wizard walk
    every_event = CertificateEvent.objects.all()
    assert_no_secret_in(every_event, [RRN, RRN.replace("-", ""), RRN[-7:], PIN, SECOND_PIN,
                                      *codes])


def test_a_wrong_sms_code_is_recorded_as_a_failed_verification(wizard, customer,
                                                                 outbox):
    wizard.until("sms")
    wizard.send_code()
    code = wizard.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert wizard.verify_code(wrong).status_code == 200

    [event] = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.VERIFICATION_FAILED)
    assert event.customer == customer and event.certificate is None
    assert event.actor == CertificateEvent.Actor.CUSTOMER
    assert event.reason == "SMS 인증 실패: 번호 불일치"
    assert event.created_at is not None
    assert_no_secret_in([event], [code, wrong, RRN[-7:]])


def test_a_failed_verification_records_the_client_ip(wizard, outbox):
    wizard.until("sms")
    wizard.send_code()
    wizard.verify_code(f"{(int(wizard.last_code()) + 1) % 1_000_000:06d}")
    [event] = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.VERIFICATION_FAILED)
    assert event.client_ip == CUSTOMER_IP


def test_a_wrong_ars_key_in_is_recorded_too(wizard, customer):
    wizard.until("ars")
    wizard.post("ars", {"action": "call"})
    page = wizard.get("ars")
    digits = page.context["display_code"]
    wrong = "11" if digits != "11" else "12"
    verification.ars_key_in(challenge_id=page.context["challenge"].pk, digits=wrong)
    [event] = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.VERIFICATION_FAILED)
    assert (event.customer, event.actor, event.reason) == (customer, "customer",
                                                          "ARS 인증 실패: 번호 불일치")


def test_details_that_do_not_match_at_the_sms_step_are_recorded(wizard, customer):
    wizard.until("sms")
    wizard.send_code(name="김철수")
    [event] = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.VERIFICATION_FAILED)
    assert (event.customer, event.actor, event.client_ip) == (customer, "customer", CUSTOMER_IP)
    assert event.reason == "추가 본인 확인 정보 불일치"


def test_wrong_pins_are_recorded_and_the_fifth_locks(customer, settings, certificate_factory,
                                                     pin_pause):
    settings.PIN_SCRYPT_N = 2**10
    certificate = certificate_factory()
    wrong = "975310"
    for attempt in range(1, settings.PIN_MAX_FAILURES):
        with pytest.raises(PinRefused) as raised:
            certificate_unlock_key(certificate=certificate, pin=wrong, client_ip="203.0.113.7")
        assert raised.value.attempts_left == settings.PIN_MAX_FAILURES - attempt
        pin_pause()
    assert not CertificateEvent.objects.filter(kind="locked").exists()
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=certificate, pin=wrong, client_ip="203.0.113.7")

    events = [e for e in trail(customer) if e.kind != "issued"]
    assert [(e.kind, e.reason) for e in events] == [
        ("pin_failed", "연속 1회"), ("pin_failed", "연속 2회"), ("pin_failed", "연속 3회"),
        ("pin_failed", "연속 4회"), ("pin_failed", "연속 5회"), ("locked", "비밀번호 5회 오류"),
    ]
    assert [e.actor for e in events] == ["customer"] * 5 + ["system"]
    assert {e.certificate_id for e in events} == {certificate.pk}
    assert {e.client_ip for e in events} == {"203.0.113.7"}
    assert_no_secret_in(events, [wrong, PIN])
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED

    # Locked: further tries are refused without another event.
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    assert len(trail(customer)) == len(events) + 1


def test_events_are_append_only(settings, certificate_factory):
    settings.PIN_SCRYPT_N = 2**10
    certificate_factory()
    event = CertificateEvent.objects.get(kind="issued")

    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()

    with pytest.raises(ValueError, match="append-only"):
        CertificateEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ValueError, match="append-only"):
        CertificateEvent.objects.all().delete()

    stored = CertificateEvent.objects.get(pk=event.pk)
    assert stored.reason == "" and stored.kind == "issued"
