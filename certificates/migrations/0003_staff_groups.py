"""Two staff groups: reviewers look, officers may also revoke."""

from django.db import migrations

REVIEWERS = "인증서 검토자"
OFFICERS = "인증서 관리자"
VIEW = [
    ("accounts", "view_customer"),
    ("certificates", "view_certificate"),
    ("certificates", "view_certificateevent"),
    ("certificates", "view_revocationlist"),
    ("verification", "view_challenge"),
]
REVOKE = [("certificates", "revoke_certificate")]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_contenttypes(app_config, verbosity=0, apps=apps)
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(pairs):
        found = []
        for app_label, codename in pairs:
            found.append(Permission.objects.get(content_type__app_label=app_label,
                                                codename=codename))
        return found

    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    reviewers.permissions.set(permissions(VIEW))
    officers, _ = Group.objects.get_or_create(name=OFFICERS)
    officers.permissions.set(permissions(VIEW + REVOKE))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[REVIEWERS, OFFICERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0002_revoke_permission"),
        ("accounts", "0001_initial"),
        ("verification", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
