"""What the CA publishes about its certificates' status: the CRL, signed by the issuing CA.

Signing happens on a status change (lifecycle, on commit) and from cron (``publish_crl``), never
inside a request: a GET reads the newest stored CRL.
"""

from datetime import datetime, timedelta

from cryptography import x509
from django.db import connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast

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
    entries = _revoked_entries(at=moment)
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


def _revoked_entries(*, at: datetime) -> list[tuple[int, datetime, x509.ReasonFlags | None]]:
    """(serial, time, reason) of every revoked or suspended certificate not expired at ``at``."""
    rows = Certificate.objects.filter(
        status__in=(Certificate.Status.REVOKED, Certificate.Status.SUSPENDED),
        not_after__gte=at,
    )
    # Read through the cursor, not the ORM: its per-row conversion of revoked_at (parse, make
    # aware, read settings) was half the time of a 100,000-entry CRL. PostgreSQL's driver gives
    # an aware datetime as it is. SQLite keeps the time as ISO text in UTC, which Django's
    # driver-level converter parses row by row in Python; read as text, datetime.fromisoformat
    # (C) parses it to the same naive UTC time, which cryptography takes as UTC.
    parse = None
    if connection.vendor == "sqlite":
        rows = rows.annotate(revoked_text=Cast("revoked_at", CharField()))
        fields, parse = ("serial", "revoked_text", "revocation_reason"), datetime.fromisoformat
    else:
        fields = ("serial", "revoked_at", "revocation_reason")
    sql, params = rows.values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    reasons = pki.REVOCATION_REASONS
    return [(int(serial, 16), parse(revoked_at) if parse and revoked_at else revoked_at,
             reasons.get(reason))
            for serial, revoked_at, reason in found]


def crl_current() -> RevocationList | None:
    """The newest stored CRL (None before the first is published), as it is: never signs.

    It may be past its nextUpdate if cron stopped; callers decide (``crl_usable``). The DER (megabytes
    for a large CRL) is left in the database until a caller reads ``der``: a 304, a readiness probe
    and a signature check whose CRL is already parsed need only the row's number and times.
    """
    return RevocationList.objects.defer("der").order_by("-pk").first()


def crl_usable(crl: RevocationList | None) -> bool:
    """Whether ``crl`` may be served or relied on: it exists and its nextUpdate has not passed."""
    return crl is not None and now() < crl.next_update


def crl_due(crl: RevocationList | None) -> bool:
    """Whether a new CRL should be signed: none yet, or half of the newest one's validity gone.

    Half leaves the other half for cron to retry before the CRL goes stale and is no longer served.
    """
    return crl is None or now() >= crl.this_update + (crl.next_update - crl.this_update) / 2


def crl_publish_if_due(*, force: bool = False) -> RevocationList | None:
    """Sign a new CRL when it is due (or ``force``); the new row, or None when nothing was due."""
    if force or crl_due(crl_current()):
        return crl_publish()
    return None
