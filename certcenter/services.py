"""Writes of the project package: a staff member's second factor (TOTP) for admin."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

TOTP_DEVICE_NAME = "인증 앱"

error_messages = {
    "not_staff": _("스태프 권한이 없는 사용자에게는 OTP 기기를 등록하지 않습니다."),
    "inactive": _("비활성 사용자에게는 OTP 기기를 등록하지 않습니다."),
}


@transaction.atomic
def staff_totp_enrol(*, user: AbstractBaseUser) -> TOTPDevice:
    """Give a staff member a new confirmed TOTP device in place of any earlier one.

    The secret leaves the server once, through the caller (the enrolment command shows it as a
    QR code); admin never shows it again. Deleting the earlier devices also ends every admin
    session they verified: django-otp's middleware drops a session whose device is gone.
    """
    if not user.is_active:
        raise ValidationError(error_messages["inactive"], code="inactive")
    if not user.is_staff:
        raise ValidationError(error_messages["not_staff"], code="not_staff")
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
