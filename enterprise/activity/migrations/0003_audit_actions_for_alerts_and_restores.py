

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('activity', '0002_role_audit_actions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('token_created', 'SCIM token created'), ('token_revoked', 'SCIM token revoked'), ('scim_enabled', 'SCIM provisioning turned on'), ('scim_disabled', 'SCIM provisioning turned off'), ('sso_configured', 'Single sign-on configured'), ('client_secret_created', 'OAuth client secret created'), ('client_secret_revoked', 'OAuth client secret revoked'), ('federation_configured', 'Federation configured'), ('federation_revoked', 'Federation removed'), ('token_lifetime_changed', 'Access token lifetime changed'), ('domain_added', 'Email domain added'), ('domain_verified', 'Email domain verified'), ('domain_removed', 'Email domain removed'), ('domain_reclaimed', 'Email domain reclaimed by Plandisc support'), ('admin_groups_changed', 'Admin groups changed'), ('admin_granted', 'Enterprise admin role granted'), ('admin_revoked', 'Enterprise admin role revoked'), ('role_changed', 'Role changed'), ('group_role_changed', 'Group role changed'), ('default_role_changed', 'Default role changed'), ('seats_changed', 'Licensed seats changed'), ('member_restored', 'Deleted member restored'), ('alert_sent', 'Alert sent'), ('alert_resolved', 'Alert resolved'), ('alert_settings_changed', 'Alert notification address changed')], max_length=32),
        ),
    ]
