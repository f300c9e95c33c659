"""The CA's part of ``/readyz``: its key opens, the CRL is current, the OCSP responder can sign.

Nothing here signs: each check reads what is already loaded or stored. The issuing CA's key is
decrypted once per process (``load_issuing_ca`` keeps it); a failure to load it is remembered for
``CA_RETRY_SECONDS`` so that a probe every few seconds does not run the key derivation each time.
"""

from __future__ import annotations

import time

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from certcenter.clock import now
from certcenter.health import CheckResult, cache_check, database_check, failed_because, probe_response
from certificates.ca import ca_exists, load_issuing_ca
from certificates.ocsp import SignerMissing, load_signer
from certificates.publication import crl_current, crl_usable

CA_RETRY_SECONDS = 30.0
_ca_failure: tuple[float, CheckResult] | None = None  # (monotonic time, result) of the last failure


def _ca_load_failure() -> CheckResult | None:
    """Why the issuing CA cannot be loaded, or None when it is loaded (remembered for a while)."""
    global _ca_failure
    if _ca_failure is not None and time.monotonic() - _ca_failure[0] < CA_RETRY_SECONDS:
        return _ca_failure[1]
    try:
        load_issuing_ca()
    except ImproperlyConfigured:
        reason = ("CA passphrase does not open the CA key" if ca_exists()
                  else "CA not found (run init_ca)")
        failure = CheckResult("ca_key", False, reason)
    except Exception as exc:  # noqa: BLE001 -- an unreadable or damaged file
        failure = failed_because("ca_key", "CA files unreadable", exc)
    else:
        _ca_failure = None
        return None
    _ca_failure = (time.monotonic(), failure)
    return failure


def ca_failure_forget() -> None:
    """Load the CA afresh on the next check (after ``init_ca``, and in tests)."""
    global _ca_failure
    _ca_failure = None


def ca_key_check() -> CheckResult:
    failure = _ca_load_failure()
    if failure is not None:
        return failure
    cert = load_issuing_ca().cert
    if not cert.not_valid_before_utc <= now() < cert.not_valid_after_utc:
        return CheckResult("ca_key", False, "issuing CA certificate outside its validity")
    return CheckResult("ca_key", True, f"loaded; issuing CA valid until {cert.not_valid_after_utc:%Y-%m-%d}")


def crl_check() -> CheckResult:
    """The newest CRL exists and its nextUpdate has not passed (else ``/ca/crl.crl`` answers 503)."""
    try:
        crl = crl_current()
    except Exception as exc:  # noqa: BLE001 -- the database check says more
        return failed_because("crl", "CRL not readable", exc)
    if crl is None:
        return CheckResult("crl", False, "no CRL published (run publish_crl)")
    if not crl_usable(crl):
        return CheckResult("crl", False, "CRL past its nextUpdate (is the publish_crl cron running?)")
    return CheckResult("crl", True, f"nextUpdate {crl.next_update:%Y-%m-%dT%H:%M:%SZ}")


def ocsp_signer_check() -> CheckResult:
    """The responder's certificate is on disk, opens, is within its validity and was issued by the
    current issuing CA (else OCSP answers tryLater)."""
    try:
        signer = load_signer()
    except SignerMissing:
        return CheckResult("ocsp_signer", False, "no OCSP signer (run init_ca or renew_ocsp_signer)")
    except Exception as exc:  # noqa: BLE001 -- wrong passphrase, damaged file
        return failed_because("ocsp_signer", "OCSP signer unreadable", exc)
    cert = signer.cert
    if not cert.not_valid_before_utc <= now() < cert.not_valid_after_utc:
        return CheckResult("ocsp_signer", False,
                           "OCSP signer outside its validity (run renew_ocsp_signer)")
    if _ca_load_failure() is None and cert.issuer != load_issuing_ca().cert.subject:
        return CheckResult("ocsp_signer", False, "OCSP signer not issued by the current CA")
    return CheckResult("ocsp_signer", True,
                       f"valid until {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}")


READINESS_CHECKS = (database_check, cache_check, ca_key_check, crl_check, ocsp_signer_check)


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Whether this process can serve: 200 when every check passed, 503 with the failing ones."""
    return probe_response(READINESS_CHECKS)
