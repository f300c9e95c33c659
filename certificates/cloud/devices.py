"""이용 기기: the browsers a customer registered for 자동 연결, each holding a random token.

The browser keeps the token in a signed cookie; the database keeps only an HMAC of it (keyed by
``SECRET_KEY``), so a copy of the database connects no one, and a stolen cookie stops working once
its device is revoked or ``CLOUD_AUTO_CONNECT_DAYS`` have passed since it was registered.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac

from accounts.models import Customer
from certcenter.clock import now
from certificates.models import CloudDevice

TOKEN_SALT = "certificates.cloud.device-token"
# What a browser may send as a token (secrets.token_urlsafe(32) is 43 characters).
TOKEN_MAX_LENGTH = 64


def device_token_hashes(token: str) -> list[str]:
    """The token's HMAC under the current secret key and each fallback (rotation keeps devices)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [salted_hmac(TOKEN_SALT, token, secret=key, algorithm="sha256").hexdigest()
            for key in keys]


def device_label(user_agent: str) -> str:
    """A short name the customer recognises, e.g. "Chrome · Android"; "" when unrecognised.

    Order matters: Edge, Opera, Whale and Samsung Internet also say "Chrome" and "Safari"; an
    iPhone also says "Mac OS X", and Android also says "Linux".
    """
    user_agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


_BROWSERS = (
    ("SamsungBrowser/", "Samsung Internet"), ("Whale/", "Whale"), ("Edg", "Edge"),
    ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
    ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Linux", "Linux"),
)


def cloud_device_register(*, customer: Customer, user_agent: str) -> tuple[CloudDevice, str]:
    """A new device for ``customer``, and the token its browser is to hold (returned only here)."""
    token = secrets.token_urlsafe(32)
    at = now()
    device = CloudDevice(
        customer=customer, token_hash=device_token_hashes(token)[0],
        label=device_label(user_agent)[:120], created_at=at, last_used_at=at,
        expires_at=at + timedelta(days=settings.CLOUD_AUTO_CONNECT_DAYS),
    )
    device.full_clean()
    device.save(force_insert=True)
    return device, token


def cloud_devices_active(*, customer_id: int | None = None) -> QuerySet[CloudDevice]:
    """Devices neither revoked nor expired (valid up to and including ``expires_at``)."""
    devices = CloudDevice.objects.filter(revoked_at__isnull=True, expires_at__gte=now())
    return devices if customer_id is None else devices.filter(customer_id=customer_id)


def cloud_device_for_token(token: str | None) -> CloudDevice | None:
    """The active device this token belongs to (its customer loaded), or None."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return cloud_devices_active().select_related("customer").filter(
        token_hash__in=device_token_hashes(token)).first()


def cloud_device_touch(*, device: CloudDevice) -> None:
    device.last_used_at = now()
    CloudDevice.objects.filter(pk=device.pk).update(last_used_at=device.last_used_at)


def cloud_devices_revoke(*, customer_id: int, device_ids: list[int] | None = None) -> int:
    """Revoke the customer's active devices (only those in ``device_ids`` if given); how many."""
    devices = cloud_devices_active(customer_id=customer_id)
    if device_ids is not None:
        devices = devices.filter(pk__in=device_ids)
    return devices.update(revoked_at=now())
