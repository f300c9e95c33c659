"""Every status change goes through the lifecycle: guarded, audited, signalled, followed up."""

import pytest
from django.db import transaction

from certificates import lifecycle
from certificates.models import Certificate, CertificateEvent, RevocationList
from certificates.signals import post_transition, pre_transition

pytestmark = pytest.mark.django_db


def test_each_transition_is_declared_once_with_its_event():
    names = [t.name for t in lifecycle.TRANSITIONS]
    assert len(names) == len(set(names))
    assert lifecycle.REVOKE.republishes_crl
    # The CRL changes with revocation, suspension and resumption, and with nothing else.
    crl_changing = {lifecycle.REVOKE, lifecycle.SUSPEND, lifecycle.RESUME}
    assert {t for t in lifecycle.TRANSITIONS if t.republishes_crl} == crl_changing
    assert {t.event for t in lifecycle.TRANSITIONS} <= set(CertificateEvent.Kind.values)


def test_a_transition_from_a_state_it_does_not_start_from_is_refused(certificate):
    # An active certificate cannot be activated again, nor failed; nothing is written.
    events = CertificateEvent.objects.count()
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.certificate_activate(certificate=certificate, der=b"x")
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.certificate_fail(certificate=certificate, reason="test")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE
    assert CertificateEvent.objects.count() == events


def test_expiring_a_revoked_certificate_is_refused_and_rolled_back(
    certificate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise", actor="staff")
    with pytest.raises(lifecycle.TransitionRefused), transaction.atomic():
        lifecycle.certificates_expire(rows=[(certificate.pk, certificate.customer_id)],
                                      moment=certificate.not_after)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert not certificate.events.filter(kind=CertificateEvent.Kind.EXPIRED).exists()


def test_signals_surround_the_change_and_a_receiver_may_refuse(certificate):
    seen = []

    def before(sender, transition, certificate_ids, **kwargs):
        status = Certificate.objects.get(pk=certificate_ids[0]).status
        seen.append(("pre", transition.name, status))

    def after(sender, transition, certificate_ids, **kwargs):
        status = Certificate.objects.get(pk=certificate_ids[0]).status
        seen.append(("post", transition.name, status))

    pre_transition.connect(before)
    post_transition.connect(after)
    try:
        lifecycle.certificates_lock(sealed_key_id=certificate.sealed_key_id,
                                    customer_id=certificate.customer_id, client_ip=None,
                                    reason="test")
    finally:
        pre_transition.disconnect(before)
        post_transition.disconnect(after)
    assert seen == [("pre", "lock", "active"), ("post", "lock", "locked")]

    def refuse(sender, **kwargs):
        raise PermissionError("not now")

    pre_transition.connect(refuse)
    try:
        with pytest.raises(PermissionError):
            lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                         actor="staff")
    finally:
        pre_transition.disconnect(refuse)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED


def test_revocation_writes_its_event_and_republishes_the_crl_after_commit(
    certificate, django_capture_on_commit_callbacks
):
    before = RevocationList.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor="staff", note="분실 신고")
    assert RevocationList.objects.count() == before  # not inside the transaction
    for callback in callbacks:
        callback()
    assert RevocationList.objects.count() == before + 1
    event = certificate.events.get(kind=CertificateEvent.Kind.REVOKED)
    assert (event.actor, event.reason) == ("staff", "키 손상 분실 신고")


def test_lock_moves_only_the_active_certificate_of_that_key(certificate, certificate_factory,
                                                            customer_factory):
    other = certificate_factory(customer=customer_factory())
    assert lifecycle.certificates_lock(sealed_key_id=certificate.sealed_key_id,
                                       customer_id=certificate.customer_id, client_ip="10.0.0.1",
                                       reason="비밀번호 5회 오류") == 1
    certificate.refresh_from_db()
    other.refresh_from_db()
    assert (certificate.status, other.status) == ("locked", "active")
    event = certificate.events.get(kind=CertificateEvent.Kind.LOCKED)
    assert (event.actor, event.client_ip) == ("system", "10.0.0.1")


def test_no_status_is_written_outside_the_lifecycle():
    """The only ``status=`` writes on certificates are in lifecycle.py (and the planned row)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "certificates"
    offenders = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or path.name == "lifecycle.py":
            continue
        text = path.read_text()
        for match in re.finditer(r"\.update\([^)]*status=|\.status = ", text):
            offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


# -- Notices that stop fraud (the customer learns of every change made in their name) ------------

def _notices(outbox):
    return [d.body for d in outbox if d.kind == "sms" and "본인이 아닌 경우" in d.body]


def test_issue_reissue_and_revocation_each_send_one_notice(
    customer, outbox, django_capture_on_commit_callbacks, certificate_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        first = certificate_factory()
    [issued] = _notices(outbox)
    assert issued.startswith("[KB국민은행] ")
    assert "금융인증서가 발급되었습니다." in issued
    assert "본인이 아닌 경우 즉시 고객센터(1588-9999)로 신고해 주세요." in issued
    assert first.serial not in issued and customer.name not in issued

    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        certificate_factory(pin="246802", reissue_reason="lost")
    [reissued] = _notices(outbox)  # one notice, not one for the revocation as well
    assert "재발급되었고 이전 인증서는 폐기되었습니다" in reissued

    outbox.clear()
    current = Certificate.objects.current().get(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=current, reason="key_compromise", actor="staff")
    [revoked] = _notices(outbox)
    assert "금융인증서가 폐기되었습니다." in revoked
    assert [d.phone for d in outbox] == ["+821012345678"]


def test_notice_states_when_in_seoul_time(customer, certificate_factory, outbox,
                                          django_capture_on_commit_callbacks):
    import time_machine

    with time_machine.travel("2026-12-01T15:30:00+00:00", tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        certificate_factory(customer=customer)
    assert "2026.12.02 00:30" in _notices(outbox)[0]


def test_a_failed_revocation_sends_no_notice(certificate, outbox,
                                             django_capture_on_commit_callbacks):
    outbox.clear()

    def refuse(sender, **kwargs):
        raise PermissionError

    pre_transition.connect(refuse)
    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionError):
            lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                         actor="staff")
    finally:
        pre_transition.disconnect(refuse)
    assert _notices(outbox) == []
