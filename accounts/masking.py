"""The one place that masks personal data for display: resident number, phone, e-mail, name."""

from accounts.phone import format_phone


def mask_resident_number(digits: str) -> str:
    """9001011234567 → 900101-1****** (birth date and the century/sex digit stay visible)."""
    digits = (digits or "").replace("-", "")
    if len(digits) != 13:
        return "******-*******"
    return f"{digits[:6]}-{digits[6]}******"


def mask_phone(e164: str) -> str:
    """+821012345678 → 010-1234-****."""
    formatted = format_phone(e164)
    if len(formatted) != 13:
        return "***-****-****"
    return formatted[:-4] + "****"


def mask_email(email: str) -> str:
    """hong@example.com → h***@example.com."""
    local, at, domain = (email or "").partition("@")
    if not at or not local:
        return ""
    return f"{local[0]}***@{domain}"


def mask_name(name: str) -> str:
    """홍길동 → 홍*동, 김철 → 김*, 김 → *, John Smith → J********h (at least one letter hidden)."""
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
