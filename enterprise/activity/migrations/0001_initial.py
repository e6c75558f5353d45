import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Takes over this room's tables from the enterprise app (enterprise 0005): the models are added to this
    app's state only, with their tables' names (db_table). Nothing in the database changes."""

    initial = True

    dependencies = [
        ('enterprise', '0005_move_models_to_their_rooms'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('token_created', 'SCIM token created'), ('token_revoked', 'SCIM token revoked'), ('scim_enabled', 'SCIM provisioning turned on'), ('scim_disabled', 'SCIM provisioning turned off'), ('sso_configured', 'Single sign-on configured'), ('client_secret_created', 'OAuth client secret created'), ('client_secret_revoked', 'OAuth client secret revoked'), ('federation_configured', 'Federation configured'), ('federation_revoked', 'Federation removed'), ('token_lifetime_changed', 'Access token lifetime changed'), ('domain_added', 'Email domain added'), ('domain_verified', 'Email domain verified'), ('domain_removed', 'Email domain removed'), ('domain_reclaimed', 'Email domain reclaimed by Plandisc support'), ('admin_groups_changed', 'Admin groups changed'), ('admin_granted', 'Enterprise admin role granted'), ('admin_revoked', 'Enterprise admin role revoked')], max_length=32)),
                        ('detail', models.CharField(blank=True, max_length=255)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='audit_events', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_auditevent',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ProvisioningEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('method', models.CharField(max_length=10)),
                        ('path', models.CharField(max_length=255)),
                        ('resource_type', models.CharField(blank=True, max_length=32)),
                        ('resource_id', models.CharField(blank=True, max_length=64)),
                        ('status', models.PositiveSmallIntegerField()),
                        ('duration_ms', models.PositiveIntegerField(default=0)),
                        ('scim_type', models.CharField(blank=True, max_length=32)),
                        ('detail', models.CharField(blank=True, max_length=500)),
                        ('user_agent', models.CharField(blank=True, max_length=255)),
                        ('credential', models.CharField(blank=True, max_length=100)),
                        ('action', models.CharField(blank=True, choices=[('created', 'Created'), ('updated', 'Updated'), ('deactivated', 'Deactivated'), ('reactivated', 'Reactivated'), ('deleted', 'Deleted'), ('renamed', 'Renamed'), ('members_changed', 'Members Changed'), ('looked_up', 'Looked Up'), ('test_connection', 'Test Connection'), ('read', 'Read'), ('failed', 'Failed')], max_length=20)),
                        ('summary', models.CharField(blank=True, max_length=500)),
                        ('target_type', models.CharField(blank=True, max_length=32)),
                        ('target_id', models.CharField(blank=True, max_length=64)),
                        ('target_label', models.CharField(blank=True, max_length=255)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='provisioning_events', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_provisioningevent',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['enterprise', '-created_at'], name='provisioning_event_recent_idx'), models.Index(fields=['enterprise', 'target_id', '-created_at'], name='provisioning_event_target_idx')],
                    },
                ),
            ],
        ),
    ]
