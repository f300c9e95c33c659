"""Staff sign-in to Django admin: the admin site asking for a TOTP code, and the lockout page.

The password is checked by Django, failed attempts are counted by django-axes (settings ``AXES_*``),
the second factor is django-otp's TOTP device. ``STAFF_OTP_REQUIRED`` (default: on whenever
``DEBUG`` is off) decides, at each request, whether the code is asked for; without it the site is
Django's plain admin.
"""

import math

from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def staff_otp_required() -> bool:
    return settings.STAFF_OTP_REQUIRED


class StaffOTPLoginForm(OTPAdminAuthenticationForm):
    """User name, password and the 6-digit code of the staff member's authenticator app, in one step.

    django-otp asks the user to pick a device after the password; a staff member has one TOTP
    device (``staff_enrol_totp`` replaces it), so that device is taken when none was picked.
    """

    otp_token = forms.CharField(
        required=False,
        label=_("OTP 인증번호"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 8}
        ),
    )
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("OTP 인증번호를 입력하세요."),
        "invalid_token": _("OTP 인증번호가 맞지 않습니다. 인증 앱의 현재 번호를 입력하세요."),
        "n_failed_attempts": ngettext_lazy(
            "OTP 인증번호가 %(failure_count)d번 틀려 잠시 확인할 수 없습니다. 잠시 후 다시 시도하세요.",
            "OTP 인증번호가 %(failure_count)d번 틀려 잠시 확인할 수 없습니다. 잠시 후 다시 시도하세요.",
            "failure_count",
        ),
        "verification_not_allowed": _("지금은 OTP 인증번호를 확인할 수 없습니다. 잠시 후 다시 시도하세요."),
        "device_required": _("OTP 기기를 고르세요."),
        "no_device": _(
            "등록된 OTP 기기가 없습니다. 시스템 관리자에게 등록(staff_enrol_totp)을 요청하세요."
        ),
    }

    def clean_otp(self, user):
        if user is not None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user))
            if not devices:
                raise forms.ValidationError(self.otp_error_messages["no_device"], code="no_device")
            if len(devices) == 1:
                self.cleaned_data["otp_device"] = devices[0].persistent_id
        try:
            super().clean_otp(user)
        finally:
            # django-otp writes the password back into the page for its second step; we have none.
            self.fields["password"].widget.render_value = False


class StaffAdminSite(OTPAdminSite):
    """The default ``admin.site`` (see ``certcenter.apps.StaffAdminConfig``).

    With ``STAFF_OTP_REQUIRED`` a signed-in user counts as staff only once a TOTP code verified the
    session (django-otp's ``OTPAdminSite``); a password-only session is sent back to the login page.
    """

    def __init__(self, name="admin"):
        # Keep the name "admin": every reverse("admin:...") in the apps depends on it.
        super().__init__(name)

    @property
    def login_form(self):
        return StaffOTPLoginForm if staff_otp_required() else None

    @property
    def login_template(self):
        return "admin/staff_otp_login.html" if staff_otp_required() else None

    def has_permission(self, request):
        if staff_otp_required():
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: the Korean page for a locked-out sign-in.

    It does not say whether the user name or the address is locked, nor whether the password was
    right: a locked-out attempt is refused before any password check.
    """
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": _("로그인 잠김"),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    return render(
        request, "admin/staff_lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
