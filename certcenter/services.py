"""Writes of the project package: a staff member's second factor (TOTP) for admin, and the
simulator clock's offset."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from certcenter import clock
from certcenter.models import SimulatorClock

TOTP_DEVICE_NAME = "인증 앱"

error_messages = {
    "not_staff": _("스태프 권한이 없는 사용자에게는 OTP 기기를 등록하지 않습니다."),
    "inactive": _("비활성 사용자에게는 OTP 기기를 등록하지 않습니다."),
    "controls_off": _("시뮬레이터 제어가 꺼져 있어 시계를 옮길 수 없습니다."),
    "negative_offset": _("시뮬레이터 시계는 실제 시간보다 앞으로만 옮길 수 있습니다."),
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


def clock_offset_set(*, offset: timedelta, user: AbstractBaseUser | None = None) -> timedelta:
    """Store the simulator clock's offset (zero: real time) and publish it to every process.

    Only forward (a clock running behind real time would make records "not yet valid"), and only
    with ``SIMULATOR_CONTROLS_ENABLED``. Returns the offset stored. Other processes see it within
    ``certcenter.clock.RECHECK_SECONDS``; this one at once.
    """
    if not settings.SIMULATOR_CONTROLS_ENABLED:
        raise ValidationError(error_messages["controls_off"], code="controls_off")
    if offset < timedelta(0):
        raise ValidationError(error_messages["negative_offset"], code="negative_offset")
    offset = timedelta(seconds=int(offset.total_seconds()))
    with transaction.atomic():
        SimulatorClock.objects.update_or_create(
            pk=SimulatorClock.SINGLETON,
            defaults={"offset": offset, "changed_at": timezone.now(), "changed_by": user},
        )
        # After the commit: a rolled-back change must not reach the other processes.
        transaction.on_commit(lambda: clock.offset_publish(offset))
    return offset
