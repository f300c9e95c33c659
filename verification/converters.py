"""URL converter for the handset: a phone written as its national digits (01012345678) ↔ E.164."""

from django.core.exceptions import ValidationError

from accounts.phone import normalize_phone


class NationalPhoneConverter:
    # 01012345678 or 010-1234-5678 (reversed URLs use the bare digits).
    regex = "010-?[0-9]{4}-?[0-9]{4}"

    def to_python(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except ValidationError:
            raise ValueError(value) from None

    def to_url(self, value: str) -> str:
        if value.startswith("+82"):
            return "0" + value.removeprefix("+82")
        return value
