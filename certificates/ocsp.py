"""The OCSP responder's Django side: its signing certificate on disk, and answers from the database.

The delegated responder (``pki.ocsp``) keeps its certificate and encrypted key in one file,
``CA_DIR/ocsp-signer.pem``, written atomically (a reader never sees a new certificate with an old
key); ``init_ca`` creates it and ``renew_ocsp_signer`` (cron) replaces it before it ends. Each
process reloads it when the file changes, so a renewal needs no restart.

What a serial's answer is:

- status ``revoked`` or ``suspended`` → revoked, with the row's time and reason (certificateHold
  while suspended), as the CRL lists it;
- any other certificate this CA signed (active, locked, reissue required, renewed, expired) → good:
  RFC 6960 2.2 defines "good" as "not revoked"; validity is the relying party's check against the
  certificate itself. Unlike the CRL, which drops revoked certificates once they expire, OCSP keeps
  answering revoked for them (the row is still here, and saying less would not be safer);
- a serial this CA never signed (absent, still pending, or failed before signing) → unknown.

Answers to requests without a nonce are cached per serial under a key that holds the certificate's
status and revocation time, so any status change is seen on the next request (one indexed query)
without any invalidation; a request with a nonce is always signed afresh (the nonce is signed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from certcenter.clock import now as clock_now
from certificates import pki
from certificates.ca import ca_dir, load_issuing_ca
from certificates.models import Certificate
from certificates.pki import ocsp as pki_ocsp

logger = logging.getLogger(__name__)

SIGNER_FILE = "ocsp-signer.pem"
# renew_ocsp_signer replaces the signer when less than this is left (it runs daily: two chances).
SIGNER_RENEW_BEFORE = timedelta(days=2)
# A cached answer is served for at most this part of its validity, so nextUpdate stays ahead.
CACHE_SECONDS = int(pki_ocsp.RESPONSE_VALIDITY.total_seconds() // 2)

_REVOKED_STATUSES = (Certificate.Status.REVOKED, Certificate.Status.SUSPENDED)
_UNSIGNED_STATUSES = (Certificate.Status.PENDING, Certificate.Status.FAILED)
_TABLE = Certificate._meta.db_table


@dataclass(frozen=True)
class Signer:
    key: pki.PrivateKey
    cert: x509.Certificate


class SignerMissing(Exception):
    pass


def signer_path() -> Path:
    return ca_dir() / SIGNER_FILE


def signer_create(*, now: datetime | None = None) -> Signer:
    """Issue a new responder certificate from the issuing CA and write it (replacing any)."""
    ca = load_issuing_ca()
    moment = now or clock_now()
    key = pki.generate_private_key(pki.key_type_of(ca.key.public_key()))
    cert = pki_ocsp.create_responder_certificate(
        key=key, issuer_key=ca.key, issuer_cert=ca.cert, now=moment
    )
    path = signer_path()
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(
        pki.certificate_pem(cert).encode()
        + pki.serialize_encrypted_private_key(key, settings.CA_KEY_PASSPHRASE.encode())
    )
    temporary.chmod(0o600)
    os.replace(temporary, path)
    return Signer(key=key, cert=cert)


def signer_ensure() -> bool:
    """Create the responder if there is none (``init_ca``); True if it was created."""
    if signer_path().is_file():
        return False
    signer_create()
    return True


def signer_renew(*, force: bool = False, now: datetime | None = None) -> tuple[bool, Signer]:
    """Replace the responder when it is missing or ends within SIGNER_RENEW_BEFORE (or ``force``).

    Returns whether it was replaced, and the signer in use afterwards.
    """
    moment = now or clock_now()
    try:
        current = load_signer()
    except SignerMissing:
        current = None
    if (force or current is None
            or current.cert.not_valid_after_utc - moment < SIGNER_RENEW_BEFORE
            or current.cert.issuer != load_issuing_ca().cert.subject):
        return True, signer_create(now=moment)
    return False, current


@lru_cache(maxsize=4)
def _load(path: str, changed: int, passphrase: str) -> Signer:
    data = Path(path).read_bytes()
    return Signer(
        key=serialization.load_pem_private_key(data, password=passphrase.encode()),
        cert=x509.load_pem_x509_certificate(data),
    )


def load_signer() -> Signer:
    """The responder's key and certificate, loaded once per version of the file."""
    # Every OCSP answer asks: one stat of a path string, no Path objects.
    path = os.path.join(settings.CA_DIR, SIGNER_FILE)
    try:
        changed = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        raise SignerMissing(f"No OCSP signer in {os.path.dirname(path)}. "
                            "Run `python manage.py init_ca`.") from None
    return _load(path, changed, settings.CA_KEY_PASSPHRASE)


def _status_of(serial: int) -> tuple[str | None, datetime | None, str]:
    """(status, revoked_at, revocation_reason) of the certificate with this serial, or Nones."""
    # One indexed lookup in plain SQL: it runs on every request, cached answer or not, and the
    # ORM spends ~200 µs compiling it, as long as the rest of the cached answer takes.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, revoked_at, revocation_reason FROM {_TABLE} "  # noqa: S608
            "WHERE serial = %s",
            [f"{serial:x}"],
        )
        row = cursor.fetchone()
    if row is None:
        return None, None, ""
    status, revoked_at, reason = row
    if isinstance(revoked_at, str):  # SQLite hands back its text form (UTC, naive)
        revoked_at = parse_datetime(revoked_at)
    if revoked_at is not None and timezone.is_naive(revoked_at):
        revoked_at = timezone.make_aware(revoked_at, UTC)
    return status, revoked_at, reason


def ocsp_respond(request_der: bytes) -> bytes:
    """Return the DER OCSP response to request_der: an answer, or an OCSP error, never an exception
    for what a client sent."""
    try:
        request = pki_ocsp.request_load(request_der)
        ca = load_issuing_ca()
        pki_ocsp.request_check_issuer(request, ca.cert)
    except pki_ocsp.RequestRefused as refused:
        return pki_ocsp.error_response(refused.response_status)
    try:
        signer = load_signer()
    except SignerMissing:
        return pki_ocsp.error_response(pki_ocsp.ResponseStatus.TRY_LATER)
    status, revoked_at, reason = _status_of(request.serial_number)
    nonce = pki_ocsp.request_nonce(request)
    cache_key = None
    if nonce is None:
        # The request's hash algorithm is part of the answer's CertID; the signer's serial makes a
        # renewed signer's answers new ones.
        cache_key = "ocsp:" + hashlib.sha256(
            f"{request.serial_number}:{request.hash_algorithm.name}:{status}:"
            f"{revoked_at.isoformat() if revoked_at else ''}:{reason}:"
            f"{signer.cert.serial_number}".encode()
        ).hexdigest()
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
    if status is None or status in _UNSIGNED_STATUSES:
        cert_status = pki_ocsp.CertStatus.UNKNOWN
    elif status in _REVOKED_STATUSES:
        cert_status = pki_ocsp.CertStatus.REVOKED
    else:
        cert_status = pki_ocsp.CertStatus.GOOD
    moment = clock_now().replace(microsecond=0)
    der = pki_ocsp.response_build(
        request=request, responder_key=signer.key, responder_cert=signer.cert,
        status=cert_status, this_update=moment,
        next_update=moment + pki_ocsp.RESPONSE_VALIDITY,
        revoked_at=revoked_at, reason=pki.REVOCATION_REASONS.get(reason), nonce=nonce,
    )
    if cache_key is not None:
        cache.set(cache_key, der, CACHE_SECONDS)
    return der


# A one-certificate request is ~100 bytes; anything far bigger is not one we answer.
OCSP_REQUEST_MAX_BYTES = 8192
OCSP_HEADERS = (
    ("Content-Type", "application/ocsp-response"),
    # Every answer reflects the status at this moment: a revocation must show at once.
    ("Cache-Control", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
)


def _request_from_path(encoded: str) -> bytes:
    # RFC 6960 A.1: base64 of the DER, URL-encoded (the server has decoded the %xx already); some
    # clients send the URL-safe alphabet or drop the padding.
    text = encoded.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def ocsp_answer(method: str, encoded: str | None, read: Callable[[int], bytes]) -> bytes:
    """The body of the HTTP answer to an OCSP GET (``encoded``: the path after /ca/ocsp/) or
    POST (``read``: the request body's reader). Always an OCSP response: malformedRequest for
    what cannot be read, internalError (logged) for a fault of ours, never an exception."""
    try:
        # Read at most one byte past the limit: a huge body is refused here, not by a 400 page.
        der = read(OCSP_REQUEST_MAX_BYTES + 1) if method == "POST" else _request_from_path(
            encoded or "")
        if not der or len(der) > OCSP_REQUEST_MAX_BYTES:
            raise ValueError("empty or oversized OCSP request")
    except (ValueError, binascii.Error):
        return pki_ocsp.error_response(pki_ocsp.ResponseStatus.MALFORMED_REQUEST)
    try:
        return ocsp_respond(der)
    except Exception:
        # A relying party gets an OCSP answer it understands, never an HTML error page.
        logger.exception("OCSP responder failed")
        return pki_ocsp.error_response(pki_ocsp.ResponseStatus.INTERNAL_ERROR)
