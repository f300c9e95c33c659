"""Linting before signing, as this bank configures it: the checks every certificate passes before
the CA key signs it (issuance, renewal), and that staff run again over issued ones."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from django.conf import settings

from certificates import pki
from certificates.display import serial_key
from certificates.models import Certificate
from certificates.publication import crl_current

# The audit row's reason field holds 255 characters; finding codes carry no personal data.
_REASON_LENGTH = 255


class CertificateLintFailed(Exception):
    """The certificate about to be signed has findings (``pki.lint``); the CA key signed nothing."""

    def __init__(self, findings: list[pki.Finding]):
        self.findings = findings
        super().__init__(self.reason)

    @property
    def codes(self) -> list[str]:
        return sorted({finding.code for finding in self.findings})

    @property
    def reason(self) -> str:
        """For the audit row and the renewal summary: the finding codes, no personal data."""
        return f"발급 전 검사 실패: {', '.join(self.codes)}"[:_REASON_LENGTH]


def lint_before_signing() -> bool:
    """Whether certificates are linted before the CA key signs them (on unless switched off)."""
    return settings.CERTIFICATE_LINT_BEFORE_SIGNING


def certificate_findings(der: bytes, *, subject_as_configured: bool = True) -> list[pki.Finding]:
    """The findings (WARNING or above) on a certificate against today's profile.

    With ``subject_as_configured`` the subject's O and bank OU must be today's settings; renewal
    keeps the subject the customer was issued, so it checks only the subject's form.
    """
    return pki.certificate_lint(
        der,
        policy_oid=settings.CERTIFICATE_POLICY_OID,
        organization=settings.CERTIFICATE_ORGANIZATION if subject_as_configured else None,
        bank_code=settings.BANK_CODE if subject_as_configured else None,
    )


def certificate_check(builder: x509.CertificateBuilder, *, issuer_key: pki.PrivateKey,
                      subject_as_configured: bool = True) -> None:
    """Lint what ``builder`` describes, signed with a throwaway key; raise CertificateLintFailed
    on any finding. Call it before ``issuer_key`` signs."""
    findings = certificate_findings(pki.tbs_for_lint(builder, issuer_key=issuer_key),
                                    subject_as_configured=subject_as_configured)
    if findings:
        raise CertificateLintFailed(findings)


# -- Linting what was issued (``manage.py lint_certificates``) -----------------------------------

@dataclass
class LintReport:
    linted: int = 0
    with_findings: int = 0
    by_code: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # "serial: codes", capped
    crl: str = ""  # which CRL was linted, if one was
    crl_findings: list[pki.Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.with_findings == 0 and not self.crl_findings

    def summary(self) -> str:
        lines = [f"linted: {self.linted}; with findings: {self.with_findings}"]
        if self.crl:
            lines.append(f"{self.crl}: {len(self.crl_findings)} finding(s)")
        else:
            lines.append("CRL: none published yet")
        lines += [f"  {code}: {count}" for code, count in sorted(self.by_code.items())]
        return "\n".join(lines)


_EXAMPLES = 20


def certificates_lint(
    *,
    statuses: Iterable[str] = (),
    serials: Iterable[str] = (),
    limit: int | None = None,
    chunk_size: int = 500,
) -> LintReport:
    """Lint issued certificates (their stored DER) against today's profile, and the newest CRL.

    For staff after a profile change. The subject's form is checked, not today's O and bank OU:
    certificates keep the subject they were issued with, renewed ones too.
    """
    report = LintReport()
    queryset = Certificate.objects.filter(der__isnull=False).order_by("pk")
    if statuses:
        queryset = queryset.filter(status__in=list(statuses))
    if serials:
        queryset = queryset.filter(serial__in=[serial_key(serial) for serial in serials])
    if limit is not None:
        queryset = queryset[:limit]
    for serial, der in queryset.values_list("serial", "der").iterator(chunk_size=chunk_size):
        findings = certificate_findings(bytes(der), subject_as_configured=False)
        report.linted += 1
        if not findings:
            continue
        report.with_findings += 1
        codes = sorted({finding.code for finding in findings})
        report.by_code.update(codes)
        if len(report.examples) < _EXAMPLES:
            report.examples.append(f"{serial}: {', '.join(codes)}")
    crl = crl_current()
    if crl is not None:
        report.crl = str(crl)
        report.crl_findings = pki.crl_lint(bytes(crl.der))
        report.by_code.update(finding.code for finding in report.crl_findings)
    return report
