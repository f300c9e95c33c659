"""The project package as two Django apps: its own (checks, commands) and the admin with our site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CertCenterConfig(AppConfig):
    name = "certcenter"
    verbose_name = "CertCenter"

    def ready(self):
        from certcenter import checks  # noqa: F401  (registers the deploy checks)


class StaffAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` whose default ``admin.site`` is the staff sign-in site.

    Django's documented way to replace the default site: every ``admin.register`` in the apps keeps
    working and lands on it.
    """

    default = False
    default_site = "certcenter.staff.StaffAdminSite"
