"""The simulated CA on disk: created once by ``init_ca``, loaded once per process.

Layout of ``CA_DIR``: ``root.pem``, ``root.key.pem``, ``issuing.pem``, ``issuing.key.pem``; the keys
are PKCS#8 encrypted under ``CA_KEY_PASSPHRASE``. Several app servers share the directory (or a copy).
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from certcenter.clock import now
from certificates import pki

FILES = ("root.pem", "root.key.pem", "issuing.pem", "issuing.key.pem")


class CAAlreadyExists(Exception):
    pass


@dataclass(frozen=True)
class IssuingCA:
    key: pki.PrivateKey
    cert: x509.Certificate
    root_cert: x509.Certificate

    @property
    def chain_pem(self) -> str:
        return pki.certificate_pem(self.cert) + pki.certificate_pem(self.root_cert)


def ca_dir() -> Path:
    return Path(settings.CA_DIR)


def ca_exists(directory: Path | None = None) -> bool:
    directory = directory or ca_dir()
    return all((directory / name).is_file() for name in FILES)


def ca_create(*, directory: Path | None = None, key_type: str = "rsa-2048") -> IssuingCA:
    """Create the root and issuing CA; refuses to overwrite an existing one."""
    directory = directory or ca_dir()
    if any((directory / name).exists() for name in FILES):
        raise CAAlreadyExists(f"A CA already exists in {directory}.")
    directory.mkdir(parents=True, exist_ok=True)
    passphrase = settings.CA_KEY_PASSPHRASE.encode()
    moment = now()
    root_key = pki.generate_private_key(key_type)
    root_cert = pki.create_root_ca(key=root_key, now=moment)
    issuing_key = pki.generate_private_key(key_type)
    issuing_cert = pki.create_issuing_ca(
        key=issuing_key, root_key=root_key, root_cert=root_cert, now=moment
    )
    for name, data in (
        ("root.key.pem", pki.serialize_encrypted_private_key(root_key, passphrase)),
        ("issuing.key.pem", pki.serialize_encrypted_private_key(issuing_key, passphrase)),
        ("root.pem", pki.certificate_pem(root_cert).encode()),
        ("issuing.pem", pki.certificate_pem(issuing_cert).encode()),
    ):
        path = directory / name
        path.write_bytes(data)
        if name.endswith(".key.pem"):
            path.chmod(0o600)
    clear_ca_cache()
    return IssuingCA(key=issuing_key, cert=issuing_cert, root_cert=root_cert)


@lru_cache(maxsize=4)
def _load(directory: str, passphrase: str) -> IssuingCA:
    path = Path(directory)
    if not ca_exists(path):
        raise ImproperlyConfigured(
            f"No CA in {path}. Run `python manage.py init_ca` (make run does it for you)."
        )
    try:
        key = pki.load_encrypted_private_key(
            (path / "issuing.key.pem").read_bytes(), passphrase.encode()
        )
    except ValueError:
        raise ImproperlyConfigured(
            f"CA_KEY_PASSPHRASE does not open the issuing CA key in {path}."
        ) from None
    return IssuingCA(
        key=key,
        cert=pki.load_certificate((path / "issuing.pem").read_bytes()),
        root_cert=pki.load_certificate((path / "root.pem").read_bytes()),
    )


def load_issuing_ca() -> IssuingCA:
    """The issuing CA's key and certificates, decrypted once per process and kept."""
    return _load(str(settings.CA_DIR), settings.CA_KEY_PASSPHRASE)


def clear_ca_cache() -> None:
    _load.cache_clear()


def public_url(name: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(name)


def crl_url() -> str:
    return public_url("certificates:crl")


def ca_issuers_url() -> str:
    return public_url("certificates:issuing_ca")


def ocsp_url() -> str:
    return public_url("certificates:ocsp")


def end_entity_profile(ca: IssuingCA) -> pki.EndEntityProfile:
    """Today's 금융인증서 profile under ``ca``: its policy and its CRL, caIssuers and OCSP URLs.
    Issuance and renewal both sign under it."""
    return pki.EndEntityProfile(
        issuer_cert=ca.cert, crl_url=crl_url(), ca_issuers_url=ca_issuers_url(),
        ocsp_url=ocsp_url(), policy_oid=settings.CERTIFICATE_POLICY_OID,
    )
