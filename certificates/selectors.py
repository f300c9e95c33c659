"""Reads of certificates for the wizard, the public files and the admin: no writes here."""

from certificates.models import Certificate


def certificate_current(*, customer_id: int) -> Certificate | None:
    """The certificate that stands for the customer now (active, locked or reissue required)."""
    return Certificate.objects.current().filter(customer_id=customer_id).first()


def certificate_finished(*, pk: int) -> Certificate | None:
    return Certificate.objects.select_related("customer").filter(pk=pk).first()


def certificate_replaced_by(*, certificate: Certificate) -> Certificate | None:
    """The certificate a reissue revoked to make way for ``certificate``, if any."""
    return certificate.replaces.order_by("-revoked_at").first()
