"""Deployment checks of our own (`manage.py check --deploy`): demo conveniences left on in production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_simulated_phone_off(app_configs, **kwargs):
    """The simulated handset shows every phone's SMS codes and ARS numbers to anyone who opens it."""
    if settings.SIMULATED_PHONE_ENABLED and not settings.DEBUG:
        return [
            Warning(
                "SIMULATED_PHONE_ENABLED is on while DEBUG is off: /phone/ shows every customer's "
                "SMS codes and ARS numbers to anyone.",
                hint="Unset SIMULATED_PHONE_ENABLED (it follows DEBUG) unless this is a demo.",
                id="certcenter.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_staff_otp_required(app_configs, **kwargs):
    """Without the second factor a guessed or phished password is enough to enter admin."""
    if not settings.STAFF_OTP_REQUIRED and not settings.DEBUG:
        return [
            Warning(
                "STAFF_OTP_REQUIRED is off while DEBUG is off: staff sign in to admin with a "
                "password alone.",
                hint="Unset STAFF_OTP_REQUIRED (it is on whenever DEBUG is off) and enrol staff with "
                "`manage.py staff_enrol_totp <username>`.",
                id="certcenter.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_simulator_controls_off(app_configs, **kwargs):
    """The simulator controls move every worker's clock and break SMS and ARS on purpose."""
    if settings.SIMULATOR_CONTROLS_ENABLED and not settings.DEBUG:
        return [
            Warning(
                "SIMULATOR_CONTROLS_ENABLED is on while DEBUG is off: staff holding "
                "simulator.control_simulator can move the clock and break SMS and ARS delivery.",
                hint="Unset SIMULATOR_CONTROLS_ENABLED (it follows DEBUG) unless this is a training "
                "or test installation.",
                id="certcenter.W003",
            )
        ]
    return []
