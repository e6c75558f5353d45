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
                    name='LoginAccount',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='login_accounts', to='enterprise.enterprise')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='login_account', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'enterprise_loginaccount',
                    },
                ),
                migrations.CreateModel(
                    name='SamlRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('request_id', models.CharField(max_length=255, unique=True)),
                        ('browser_digest', models.CharField(max_length=64)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_samlrequest',
                    },
                ),
                migrations.CreateModel(
                    name='SsoConnection',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('idp_metadata', models.TextField(verbose_name='Federation Metadata XML')),
                        ('idp_entity_id', models.CharField(max_length=1024, verbose_name='identity provider entity id')),
                        ('idp_sso_url', models.URLField(max_length=2048, verbose_name='identity provider sign-in URL')),
                        ('certificate_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('certificate_thumbprint', models.CharField(blank=True, help_text='SHA-1, as Entra shows it', max_length=40)),
                        ('allow_jit', models.BooleanField(default=False, help_text='Only while SCIM provisioning is off; with SCIM on, only provisioned members sign in.', verbose_name='create members at first sign-in')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('enterprise', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='sso_connection', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_ssoconnection',
                    },
                ),
                migrations.CreateModel(
                    name='SsoRefusal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(db_index=True, max_length=9)),
                        ('detail', models.CharField(max_length=1000)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sso_refusals', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_ssorefusal',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='SamlAssertion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('assertion_id', models.CharField(max_length=255)),
                        ('expires_at', models.DateTimeField(db_index=True)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_samlassertion',
                        'constraints': [models.UniqueConstraint(fields=('enterprise', 'assertion_id'), name='saml_assertion_unique_id')],
                    },
                ),
                migrations.CreateModel(
                    name='SsoDomain',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('domain', models.CharField(max_length=253)),
                        ('token', models.CharField(editable=False, max_length=64)),
                        ('verified_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('connection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='domains', to='sso.ssoconnection')),
                    ],
                    options={
                        'db_table': 'enterprise_ssodomain',
                        'ordering': ['domain'],
                        'constraints': [models.UniqueConstraint(fields=('connection', 'domain'), name='sso_domain_unique_claim'), models.UniqueConstraint(condition=models.Q(('verified_at__isnull', False)), fields=('domain',), name='sso_domain_unique_verified')],
                    },
                ),
            ],
        ),
    ]
