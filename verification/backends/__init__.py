"""Delivery backends for SMS and ARS, chosen by dotted path (``SMS_BACKEND``, ``ARS_BACKEND``)."""

from django.conf import settings
from django.utils.module_loading import import_string

from verification.backends.base import BaseBackend


def get_backend(path: str, **kwargs) -> BaseBackend:
    return import_string(path)(**kwargs)


def get_sms_backend(**kwargs) -> BaseBackend:
    return get_backend(settings.SMS_BACKEND, **kwargs)


def get_ars_backend(**kwargs) -> BaseBackend:
    return get_backend(settings.ARS_BACKEND, **kwargs)
