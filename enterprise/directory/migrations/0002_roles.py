from django.db import migrations, models

ROLES = [("viewer", "Viewer"), ("editor", "Editor"), ("admin", "Admin")]
RANK = {"viewer": 1, "editor": 2, "admin": 3}


def roles_from_what_was_stored(apps, schema_editor):
    """Admin groups give the Admin role now; and members keep the app role Entra had already sent in their
    profile's `roles` (values Plandisc does not know are left out here, not refused)."""
    Group = apps.get_model("directory", "Group")
    Member = apps.get_model("directory", "Member")
    Group.objects.filter(grants_admin=True).update(role="admin")
    for member in Member.objects.filter(profile__has_key="roles").only("pk", "profile").iterator():
        values = [str(r.get("value") or "").strip().lower() for r in member.profile.get("roles") or []]
        known = [v for v in values if v in RANK]
        if known:
            Member.objects.filter(pk=member.pk).update(app_role=max(known, key=RANK.get))


def admin_groups_again(apps, schema_editor):
    apps.get_model("directory", "Group").objects.filter(role="admin").update(grants_admin=True)


class Migration(migrations.Migration):
    """Roles: a group gives any role (admin groups become Admin groups), and a member has the role Entra's app
    role assignment gives and one set by hand."""

    dependencies = [
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="role",
            field=models.CharField(
                blank=True,
                choices=ROLES,
                help_text="Set on the Enterprise page.",
                max_length=16,
                verbose_name="role it gives",
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="app_role",
            field=models.CharField(blank=True, choices=ROLES, max_length=16),
        ),
        migrations.AddField(
            model_name="member",
            name="role_by_hand",
            field=models.CharField(blank=True, choices=ROLES, max_length=16),
        ),
        migrations.RunPython(roles_from_what_was_stored, admin_groups_again),
        migrations.RemoveField(model_name="group", name="grants_admin"),
    ]
