"""What the CA publishes about its certificates' status: the CRL, signed by the issuing CA."""

from datetime import timedelta

from django.db import transaction

from certcenter.clock import now
from certificates import pki
from certificates.ca import load_issuing_ca
from certificates.models import Certificate, RevocationList

CRL_VALIDITY = timedelta(days=7)
# Signed CRLs kept besides the newest (a client may still be fetching the previous one); older ones
# are deleted as each new one is stored, so the table does not grow with every revocation.
CRL_KEEP = 3


def crl_publish() -> RevocationList:
    """Sign a new CRL of every revoked or suspended (certificateHold), unexpired certificate;
    the newest is served. A resumed certificate is active again, so the next CRL leaves it out.

    Built from the whole list at once: adding entries one call at a time is quadratic.
    """
    ca = load_issuing_ca()
    moment = now()
    rows = (
        Certificate.objects.filter(
            status__in=[Certificate.Status.REVOKED, Certificate.Status.SUSPENDED],
            not_after__gte=moment,
        )
        .values_list("serial", "revoked_at", "revocation_reason")
        .iterator(chunk_size=10_000)
    )
    entries = [
        (int(serial, 16), revoked_at, pki.REVOCATION_REASONS.get(reason))
        for serial, revoked_at, reason in rows
    ]
    with transaction.atomic():
        crl_row = RevocationList.objects.create(
            this_update=moment, next_update=moment + CRL_VALIDITY, der=b"", entry_count=len(entries)
        )
        crl = pki.build_crl(
            issuer_key=ca.key, issuer_cert=ca.cert, revoked=entries, last_update=moment,
            next_update=moment + CRL_VALIDITY, crl_number=crl_row.pk,
        )
        crl_row.der = pki.crl_der(crl)
        crl_row.save(update_fields=["der"])
        stale = RevocationList.objects.filter(pk__lt=crl_row.pk).order_by("-pk")[CRL_KEEP - 1:]
        RevocationList.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return crl_row


def crl_current() -> RevocationList:
    """The newest CRL, re-signed first when it is due (older than half its validity)."""
    latest = RevocationList.objects.order_by("-pk").first()
    if latest is None or latest.next_update - now() < CRL_VALIDITY / 2:
        latest = crl_publish()
    return latest
