"""Reads of certificates for the wizard, the public files and the admin: no writes here."""

from django.db.models import Count, F, Max, Q

from certcenter.clock import now
from certificates.models import Certificate, CertificateUse


def certificate_current(*, customer_id: int) -> Certificate | None:
    """The certificate that stands for the customer now (active, locked, reissue required or
    suspended)."""
    return Certificate.objects.current().filter(customer_id=customer_id).first()


def certificate_finished(*, pk: int) -> Certificate | None:
    return Certificate.objects.select_related("customer").filter(pk=pk).first()


def certificate_replaced_by(*, certificate: Certificate) -> Certificate | None:
    """The certificate a reissue revoked to make way for ``certificate``, if any."""
    return certificate.replaces.order_by("-revoked_at").first()


# -- 인증서 관리 (the connected customer's own certificates) ----------------------------------------

def certificates_of_customer(*, customer_id: int) -> list[Certificate]:
    """Every certificate the customer holds or held, newest first (attempts that never became a
    certificate left out), each with ``last_used_at``, ``signature_count`` (uses that passed
    verification) and ``renewed_at`` (when its successor was issued, if it was renewed)."""
    return list(
        Certificate.objects.filter(customer_id=customer_id)
        .exclude(status__in=[Certificate.Status.PENDING, Certificate.Status.FAILED])
        .annotate(
            last_used_at=Max("uses__created_at"),
            signature_count=Count("uses", filter=Q(uses__result="ok")),
            renewed_at=F("renewed_by__created_at"),
        )
        .order_by("-created_at", "-pk")
    )


def certificate_uses_recent(*, certificate_id: int, limit: int = 20) -> list[CertificateUse]:
    """The certificate's latest uses (signatures asked for and checked), newest first."""
    return list(CertificateUse.objects.filter(certificate_id=certificate_id)
                .order_by("-created_at", "-id")[:limit])


def certificate_use_problem(certificate: Certificate | None) -> str | None:
    """Why the customer cannot use their current certificate with its PIN now, or None if they can:
    "none" (no certificate), "locked", "reissue_required", "suspended" or "expired"."""
    if certificate is None:
        return "none"
    if certificate.status == Certificate.Status.LOCKED:
        return "locked"
    if certificate.status == Certificate.Status.REISSUE_REQUIRED:
        return "reissue_required"
    if certificate.status == Certificate.Status.SUSPENDED:
        return "suspended"
    if certificate.status != Certificate.Status.ACTIVE or certificate.not_after < now():
        return "expired"
    return None
