"""Staff groups and fraud reports: both roles see them; officers clear them (``is_officer``)."""

from django.db import migrations

REVIEWERS = "인증서 검토자"
OFFICERS = "인증서 관리자"
VIEW = "view_fraudreport"


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
    view = Permission.objects.get(content_type__app_label="verification", codename=VIEW)
    for group in Group.objects.filter(name__in=[REVIEWERS, OFFICERS]):
        group.permissions.add(view)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(content_type__app_label="verification", codename=VIEW)
    for group in Group.objects.filter(name__in=[REVIEWERS, OFFICERS]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0011_suspension_events"),
        ("verification", "0003_challenge_reported_fraud_report"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
