"""Certificates and CRLs as bytes and text: PEM, DER, loading either, and fingerprints."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

_SHA256 = hashes.SHA256()


def certificate_pem(cert: x509.Certificate) -> str:
    """Return the certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_der(cert: x509.Certificate) -> bytes:
    """Return the certificate as DER bytes."""
    return cert.public_bytes(serialization.Encoding.DER)


def load_certificate(der_or_pem: bytes) -> x509.Certificate:
    """Load a certificate given as DER or PEM."""
    if der_or_pem.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(der_or_pem)
    return x509.load_der_x509_certificate(der_or_pem)


def load_der_certificate(der: bytes) -> x509.Certificate:
    """Load a certificate known to be DER (as stored): no copy of it to look for a PEM header."""
    return x509.load_der_x509_certificate(der)


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """Return the SHA-256 fingerprint as colon-separated upper-case hex, as openssl prints it."""
    return cert.fingerprint(_SHA256).hex(":").upper()


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    """Return the CRL as DER bytes (what a CRL distribution point serves)."""
    return crl.public_bytes(serialization.Encoding.DER)
