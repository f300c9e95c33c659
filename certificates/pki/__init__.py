"""The simulated CA's cryptography, in pure `cryptography` with no Django, so it is tested on its own.

One module per job:

- ``keys``: the key types we support, new keys, the CA keys encrypted at rest;
- ``authority``: the root and issuing CAs, their names, and what all they sign shares;
- ``identity``: KISA's identity binding (identifyData with the VID) of a certificate to a person;
- ``profile``: the 금융인증서 end-entity profile and the certificates built to it;
- ``crl``: revocation lists and the RFC 5280 reasons;
- ``encoding``: PEM and DER, loading, fingerprints;
- ``keyseal``: a customer's private key sealed under their PIN and the server's pepper.

OCSP responses, CMS signing and certificate linting belong here as modules of their own. The rest
of the project imports the package (``from certificates import pki``) and uses the names below;
``keyseal`` is imported as a module (``from certificates.pki import keyseal``).
"""

# admin.py reaches these two cryptography modules through this package (pki.x509, pki.hashes).
from cryptography import x509 as x509
from cryptography.hazmat.primitives import hashes as hashes

from certificates.pki.authority import (
    ISSUING_CA_COMMON_NAME,
    ROOT_CA_COMMON_NAME,
    ca_name,
    create_issuing_ca,
    create_root_ca,
    random_serial,
)
from certificates.pki.crl import REVOCATION_REASONS, build_crl
from certificates.pki.encoding import (
    certificate_der,
    certificate_pem,
    crl_der,
    fingerprint_sha256,
    load_certificate,
    load_der_certificate,
)
from certificates.pki.identity import (
    IDENTIFY_DATA_OID,
    VID_OID,
    VID_RANDOM_BYTES,
    binding_matches,
    compute_vid,
    identity_binding,
    new_vid_random,
)
from certificates.pki.keys import (
    KEY_TYPES,
    PrivateKey,
    PublicKey,
    generate_private_key,
    key_type_of,
    load_encrypted_private_key,
    serialize_encrypted_private_key,
)
from certificates.pki.lint import Finding, certificate_lint, crl_lint, tbs_for_lint
from certificates.pki.profile import (
    FINANCIAL_CERTIFICATE_POLICY_OID,
    EndEntityProfile,
    build_end_entity_certificate,
    end_entity_subject,
)

__all__ = [
    "FINANCIAL_CERTIFICATE_POLICY_OID",
    "IDENTIFY_DATA_OID",
    "ISSUING_CA_COMMON_NAME",
    "KEY_TYPES",
    "REVOCATION_REASONS",
    "ROOT_CA_COMMON_NAME",
    "VID_OID",
    "VID_RANDOM_BYTES",
    "EndEntityProfile",
    "Finding",
    "PrivateKey",
    "PublicKey",
    "binding_matches",
    "build_crl",
    "build_end_entity_certificate",
    "ca_name",
    "certificate_der",
    "certificate_lint",
    "certificate_pem",
    "compute_vid",
    "create_issuing_ca",
    "create_root_ca",
    "crl_der",
    "crl_lint",
    "end_entity_subject",
    "fingerprint_sha256",
    "generate_private_key",
    "identity_binding",
    "key_type_of",
    "load_certificate",
    "load_der_certificate",
    "load_encrypted_private_key",
    "new_vid_random",
    "random_serial",
    "serialize_encrypted_private_key",
    "tbs_for_lint",
]
