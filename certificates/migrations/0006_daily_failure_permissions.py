"""Staff groups and the daily cap on wrong codes: reviewers see it, officers may also clear it."""

from django.db import migrations

REVIEWERS = "인증서 검토자"
OFFICERS = "인증서 관리자"
VIEW = "view_dailyfailurecount"
CLEAR = "clear_dailyfailurecount"


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    # Permissions are normally created after all migrations; the groups need them now.
    verification = apps.get_app_config("verification")
    verification.models_module = True
    create_contenttypes(verification, verbosity=0, apps=apps)
    create_permissions(verification, verbosity=0, apps=apps)
    verification.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    found = {
        p.codename: p
        for p in Permission.objects.filter(content_type__app_label="verification",
                                           codename__in=[VIEW, CLEAR])
    }
    for group in Group.objects.filter(name=REVIEWERS):
        group.permissions.add(found[VIEW])
    for group in Group.objects.filter(name=OFFICERS):
        group.permissions.add(found[VIEW], found[CLEAR])


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(content_type__app_label="verification",
                                            codename__in=[VIEW, CLEAR])
    for group in Group.objects.filter(name__in=[REVIEWERS, OFFICERS]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0005_crl_entry_count"),
        ("verification", "0002_daily_failure_count"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
