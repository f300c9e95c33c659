"""How a certificate's details are shown to customers and staff (masked where personal)."""

from accounts.masking import mask_name


def mask_subject(subject: str) -> str:
    """CN=홍길동()004...,OU=... → CN=홍*동()004...: the name masked, the rest as issued."""
    parts = []
    for part in subject.split(","):
        if part.startswith("CN=") and "()" in part:
            name, _sep, rest = part[3:].partition("()")
            part = f"CN={mask_name(name)}(){rest}"
        parts.append(part)
    return ",".join(parts)


def format_serial(serial_hex: str) -> str:
    """1a2b3 → 01:A2:B3, the way certificate viewers show a serial."""
    padded = serial_hex.zfill(len(serial_hex) + len(serial_hex) % 2).upper()
    return ":".join(padded[i:i + 2] for i in range(0, len(padded), 2))
