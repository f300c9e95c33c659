"""Linting before signing: issuance and renewal refuse a certificate with findings before the CA
key signs it; ``lint_certificates`` lints what was issued and the current CRL."""

import io
import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from django.core.management import call_command
from django.core.management.base import CommandError

from certificates import lifecycle, linting, pki, publication
from certificates.ca import load_issuing_ca
from certificates.models import Certificate, CertificateEvent
from certificates.pki import profile
from certificates.renewal import certificates_renew
from certificates.services import CertificateLintFailed, certificate_issue
from tests.certificates.conftest import due_moment
from tests.conftest import PIN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_sealing(settings):
    # Sealing is not under test here; the smallest scrypt cost keyseal allows keeps issuing fast.
    settings.PIN_SCRYPT_N = 2**10


@pytest.fixture
def ca_signatures(monkeypatch):
    """Every certificate signed with the issuing CA's key (the throwaway lint key not counted)."""
    ca_key = load_issuing_ca().key
    real = x509.CertificateBuilder.sign
    signed = []

    def sign(builder, private_key, *args, **kwargs):
        cert = real(builder, private_key, *args, **kwargs)
        if private_key is ca_key:
            signed.append(cert)
        return cert

    monkeypatch.setattr(x509.CertificateBuilder, "sign", sign)
    return signed


@pytest.fixture
def lint_calls(monkeypatch):
    """The DER of every certificate linted."""
    real = pki.certificate_lint
    calls = []

    def spy(der, **kwargs):
        calls.append(der)
        return real(der, **kwargs)

    monkeypatch.setattr(pki, "certificate_lint", spy)
    return calls


def break_key_usage(patch):
    """A profile change gone wrong: KeyUsage written non-critical (RFC 5280 says SHOULD be)."""
    usage = profile._END_ENTITY_KEY_USAGE
    patch.setattr(profile, "_END_ENTITY_KEY_USAGE", x509.Extension(usage.oid, False, usage.value))


def break_policy(patch):
    """A profile change gone wrong: a policy OID other than the one configured."""
    patch.setattr(pki, "EndEntityProfile", WrongPolicyProfile)


@dataclass(frozen=True)
class WrongPolicyProfile(pki.EndEntityProfile):
    def __post_init__(self):
        object.__setattr__(self, "policy_oid", "1.2.410.200005.1.1.1.99")


@pytest.fixture
def key_usage_not_critical(monkeypatch):
    break_key_usage(monkeypatch)


def codes(findings):
    return sorted({finding.code for finding in findings})


# -- Issuance ---------------------------------------------------------------------------------

def test_an_issued_certificate_lints_clean(certificate):
    assert linting.certificate_findings(bytes(certificate.der)) == []
    assert pki.crl_lint(bytes(publication.crl_publish().der)) == []


def test_issuance_lints_exactly_what_the_ca_key_then_signs(customer, lint_calls, ca_signatures):
    certificate = certificate_issue(customer=customer, pin=PIN, flow_id="flow-lint")
    assert len(lint_calls) == 1 and len(ca_signatures) == 1
    linted = pki.load_certificate(lint_calls[0])
    issued = pki.load_certificate(bytes(certificate.der))
    assert linted.tbs_certificate_bytes == issued.tbs_certificate_bytes
    assert linted.signature != issued.signature
    assert issued == ca_signatures[0]


@pytest.mark.parametrize(("broken", "expected"), [
    (break_key_usage, ["certcenter.key_usage", "pkix.key_usage_extension_not_critical"]),
    (break_policy, ["certcenter.certificate_policy"]),
])
def test_a_finding_stops_issuance_before_the_ca_key_signs(
    broken, expected, customer, monkeypatch, ca_signatures, caplog
):
    with monkeypatch.context() as patch, \
            caplog.at_level(logging.ERROR, logger="certificates.services"), \
            pytest.raises(CertificateLintFailed) as raised:
        broken(patch)
        certificate_issue(customer=customer, pin=PIN, flow_id="flow-broken")

    assert raised.value.codes == expected
    assert ca_signatures == []  # nothing signed by the CA key
    failed = Certificate.objects.get(customer=customer)
    assert failed.status == Certificate.Status.FAILED and failed.der is None
    assert failed.flow_id is None  # the planned serial closed, the flow freed
    assert not Certificate.objects.current().filter(customer=customer).exists()
    event = CertificateEvent.objects.get(kind=CertificateEvent.Kind.ISSUE_FAILED)
    assert event.certificate_id == failed.pk
    assert event.reason == f"발급 전 검사 실패: {', '.join(expected)}"
    assert any(", ".join(expected) in record.getMessage() for record in caplog.records)

    # The profile mended: the customer's next attempt is issued.
    again = certificate_issue(customer=customer, pin=PIN, flow_id="flow-broken")
    assert again.status == Certificate.Status.ACTIVE and len(ca_signatures) == 1


def test_the_audit_reason_fits_its_column(customer):
    findings = [pki.Finding(f"certcenter.code_{i:03d}", "ERROR") for i in range(40)]
    reason = CertificateLintFailed(findings).reason
    assert reason.startswith("발급 전 검사 실패: certcenter.code_000, ") and len(reason) == 255


def test_linting_can_be_switched_off(settings, customer, key_usage_not_critical, lint_calls):
    # For the bench's comparison only: the same broken profile is then signed.
    settings.CERTIFICATE_LINT_BEFORE_SIGNING = False
    certificate = certificate_issue(customer=customer, pin=PIN, flow_id="flow-off")
    assert certificate.status == Certificate.Status.ACTIVE and lint_calls == []


def test_the_wizard_tells_the_customer_and_issues_nothing(wizard, customer, key_usage_not_critical):
    wizard.until("pin")
    response = wizard.pin()
    assert response.status_code == 200
    form = response.context["form"]
    assert [e.code for e in form.non_field_errors().as_data()] == ["lint_failed"]
    assert ("인증서 발급 전 검사에서 문제가 발견되어 발급을 중단했습니다. 고객센터로 문의해 주세요."
            in response.content.decode())
    assert not Certificate.objects.current().filter(customer=customer).exists()
    assert Certificate.objects.get(customer=customer).status == Certificate.Status.FAILED


# -- Renewal ----------------------------------------------------------------------------------

def renew(certificates, **kwargs):
    return certificates_renew(now=due_moment(certificates), **kwargs)


def test_renewal_lints_the_first_certificate_of_each_batch(issue_many, lint_calls, ca_signatures):
    certificates = issue_many(5)
    lint_calls.clear()
    ca_signatures.clear()
    report = renew(certificates, batch_size=2)
    assert (report.renewed, report.failed) == (5, 0)
    assert len(lint_calls) == 3  # batches of 2, 2 and 1
    assert len(ca_signatures) == 5  # the lint copies are not signed by the CA key
    renewed = Certificate.objects.filter(renewed_from__in=certificates)
    assert all(linting.certificate_findings(bytes(c.der)) == [] for c in renewed)


def test_renewal_lints_again_for_another_key_type(settings, issue_many, lint_calls):
    certificates = issue_many(2)
    settings.CERTIFICATE_KEY_TYPE = "ec-p256"
    certificates += issue_many(1)
    certificates += issue_many(1)
    lint_calls.clear()
    report = renew(certificates, batch_size=10)
    assert (report.renewed, report.failed) == (4, 0)
    linted = [pki.key_type_of(pki.load_certificate(der).public_key()) for der in lint_calls]
    assert linted == ["rsa-2048", "ec-p256"]


def test_a_finding_at_renewal_fails_the_certificate_and_signs_nothing(
    issue_many, monkeypatch, ca_signatures
):
    certificates = issue_many(3)
    break_key_usage(monkeypatch)
    ca_signatures.clear()
    report = renew(certificates, batch_size=10)
    assert (report.renewed, report.failed) == (0, 3)
    assert ca_signatures == []
    assert [line.split(": ", 1)[1] for line in report.failures] == [
        "발급 전 검사 실패: certcenter.key_usage, pkix.key_usage_extension_not_critical"
    ] * 3
    assert {c.serial for c in certificates} == {line.split(":")[0] for line in report.failures}
    assert set(Certificate.objects.values_list("status", flat=True)) == {"active"}
    assert "failed: 3" in report.summary()


def test_renewal_keeps_the_customers_subject_after_an_organization_change(settings, issue_many):
    certificates = issue_many(1)
    settings.CERTIFICATE_ORGANIZATION = "CertCenter Renamed"
    assert renew(certificates).renewed == 1


# -- The command --------------------------------------------------------------------------------

def lint_command(*args):
    out = io.StringIO()
    call_command("lint_certificates", *args, stdout=out)
    return out.getvalue()


def test_the_command_on_good_data(issue_many, django_capture_on_commit_callbacks):
    certificates = issue_many(2)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificates[0], reason="key_compromise",
                                     actor=CertificateEvent.Actor.SYSTEM)
    crl = publication.crl_publish()
    out = lint_command()
    assert out.splitlines()[:2] == [
        "linted: 2; with findings: 0",
        f"CRL #{crl.pk} ({crl.entry_count}): 0 finding(s)",
    ]
    assert crl.entry_count == 1


def test_the_command_on_bad_data(settings, issue_many, monkeypatch):
    good = issue_many(1)[0]
    settings.CERTIFICATE_LINT_BEFORE_SIGNING = False  # how a bad profile got past issuance
    with monkeypatch.context() as patch:
        break_key_usage(patch)
        bad = issue_many(2)
    Certificate.objects.filter(pk=bad[1].pk).update(der=b"not a certificate")

    with pytest.raises(CommandError) as raised:
        lint_command()
    assert raised.value.returncode == 1
    assert "2 certificate(s) and 0 CRL finding(s) at WARNING or above" in str(raised.value)

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("lint_certificates", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "linted: 3; with findings: 2"
    assert lines[1] == "CRL: none published yet"
    assert lines[2:5] == [
        "  certcenter.key_usage: 1",
        "  certcenter.undecodable: 1",
        "  pkix.key_usage_extension_not_critical: 1",
    ]
    assert (f"  finding in {bad[0].serial}: certcenter.key_usage, "
            "pkix.key_usage_extension_not_critical") in lines
    assert f"  finding in {bad[1].serial}: certcenter.undecodable" in lines
    assert not any(good.serial in line for line in lines)

    # Filters: one serial (as staff might paste it), a status, a limit.
    assert lint_command("--serial", good.serial.upper()).startswith("linted: 1; with findings: 0")
    with pytest.raises(CommandError):
        lint_command("--serial", bad[0].serial)
    assert lint_command("--limit", "1").startswith("linted: 1; with findings: 0")
    Certificate.objects.filter(pk__in=[b.pk for b in bad]).update(status="revoked")
    assert lint_command("--status", "active").startswith("linted: 1; with findings: 0")


def test_the_command_reports_a_crl_finding(certificate, monkeypatch):
    crl = publication.crl_publish()
    monkeypatch.setattr(pki, "crl_lint",
                        lambda der: [pki.Finding("pkix.crl_number_missing", "ERROR")])
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("lint_certificates", stdout=out)
    assert "0 certificate(s) and 1 CRL finding(s)" in str(raised.value)
    assert f"  finding in {crl}: pkix.crl_number_missing (ERROR)" in out.getvalue()


def test_the_command_refuses_a_bad_limit(db):
    with pytest.raises(CommandError, match="--limit must be at least 1"):
        lint_command("--limit", "0")


def test_the_command_lints_expired_certificates_too(certificate):
    # Certificates are linted as issued: the validity check is RFC 5280's form, not today's date.
    with time_machine.travel(certificate.not_after + timedelta(days=400), tick=False):
        assert lint_command().startswith("linted: 1; with findings: 0")

