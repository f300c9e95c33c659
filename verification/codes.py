"""Making and checking the codes of identity challenges, without ever storing a code.

Threat model. Someone who reads the database (a dump, a backup) must not learn a code that still
works: a challenge stores only an HMAC of its code, keyed from ``SECRET_KEY`` and salted with the
challenge's purpose, over the challenge's random id and the code. So equal codes of two challenges
differ, and a code made for one purpose (an SMS for cloud connection) is refused for another (the
issuance wizard) even for the same phone. Whoever also has the key can enumerate 10^6 codes in no
time, which is why a code expires (``SMS_CODE_TTL``, ``ARS_CALL_TTL``) and why the services cap wrong
entries under a row lock; expiry is decided here, on the one clock, through ``_now()``.

Codes come from ``secrets``; comparison is constant-time, so response time does not tell how many
leading characters of a guess were right. A code lives minutes, but a key rotated in that time must
not void codes already sent: ``SECRET_KEY_FALLBACKS`` are tried after the current key.

The ARS number is shown on the web page, not sent to the phone: the customer proves they hold the
phone *and* see the page. It is derived from the challenge id with a keyed HMAC, so the page can show
it again after a refresh while nothing stores it in the clear. It is derived with the current key
only, so a call ringing while the key is rotated shows other digits than it was made with and
must be placed again (a call lives three minutes).
"""

import hmac
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from certcenter import clock


class ChallengeCodeGenerator:
    """Strategy object that makes, hashes and checks challenge codes (see the module's threat model).

    ``secret`` and ``secret_fallbacks`` default to the settings, read when used; a test or a
    subclass may set them.
    """

    # Changing a salt or the message layout voids every stored HMAC: challenges in flight would
    # no longer verify.
    key_salt = "certcenter.verification.code"
    ars_key_salt = "certcenter.ars"
    algorithm = "sha256"
    sms_code_digits = 6
    _secret = None
    _secret_fallbacks = None

    @property
    def secret(self) -> str | bytes:
        return self._secret or settings.SECRET_KEY

    @secret.setter
    def secret(self, value) -> None:
        self._secret = value

    @property
    def secret_fallbacks(self) -> list:
        if self._secret_fallbacks is None:
            return settings.SECRET_KEY_FALLBACKS
        return self._secret_fallbacks

    @secret_fallbacks.setter
    def secret_fallbacks(self, value) -> None:
        self._secret_fallbacks = value

    def make_sms_code(self) -> str:
        """A fresh random code of ``sms_code_digits`` digits, leading zeros kept."""
        digits = self.sms_code_digits
        return f"{secrets.randbelow(10**digits):0{digits}d}"

    def ars_digits(self, challenge_id: uuid.UUID) -> str:
        """The two digits (10..99) the web page shows for an ARS challenge, the same every time."""
        digest = salted_hmac(
            self.ars_key_salt, str(challenge_id), secret=self.secret, algorithm=self.algorithm
        ).digest()
        return f"{10 + int.from_bytes(digest, 'big') % 90:02d}"

    @sensitive_variables("code")
    def make_hmac(self, *, purpose: str, challenge_id: uuid.UUID, code: str) -> str:
        """What a challenge stores instead of its code (64 hex characters)."""
        return self._hmac(purpose, challenge_id, code, self.secret)

    @sensitive_variables("code")
    def check_code(
        self, *, purpose: str, challenge_id: uuid.UUID, code_hmac: str, code: str
    ) -> bool:
        """Whether ``code`` is the one ``code_hmac`` was made from, for this purpose and challenge."""
        if not (code and code_hmac):
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if hmac.compare_digest(self._hmac(purpose, challenge_id, code, secret), code_hmac):
                return True
        return False

    def is_expired(self, expires_at: datetime, *, at: datetime | None = None) -> bool:
        """Valid up to and including ``expires_at``; expired one instant later."""
        return (at or self._now()) > expires_at

    def _hmac(self, purpose: str, challenge_id: uuid.UUID, code: str, secret) -> str:
        return salted_hmac(
            f"{self.key_salt}:{purpose}",
            f"{challenge_id}:{code}",
            secret=secret,
            algorithm=self.algorithm,
        ).hexdigest()

    def _now(self) -> datetime:
        # The seam tests move (the one clock, which time-machine moves too).
        return clock.now()


default_code_generator = ChallengeCodeGenerator()
