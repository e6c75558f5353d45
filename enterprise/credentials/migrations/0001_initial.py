import django.db.models.deletion
import django.utils.timezone
import uuid
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
                    name='ClientSecret',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                        ('hint', models.CharField(editable=False, max_length=32)),
                        ('expires_at', models.DateTimeField(editable=False)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'enterprise_clientsecret',
                        'ordering': ['-created_at', '-id'],
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='FederationTrust',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('issuer', models.CharField(max_length=500)),
                        ('jwks_url', models.URLField(max_length=500, verbose_name='JWKS URL')),
                        ('subject', models.CharField(max_length=255)),
                        ('audience', models.CharField(max_length=255)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'enterprise_federationtrust',
                        'ordering': ['-created_at', '-id'],
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='AccessToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('expires_at', models.DateTimeField(db_index=True)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_tokens', to='enterprise.enterprise')),
                        ('secret', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='credentials.clientsecret')),
                        ('trust', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='credentials.federationtrust')),
                    ],
                    options={
                        'db_table': 'enterprise_accesstoken',
                    },
                ),
                migrations.CreateModel(
                    name='OAuthClient',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('client_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('enterprise', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='oauth_client', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_oauthclient',
                    },
                ),
                migrations.AddField(
                    model_name='federationtrust',
                    name='client',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='federation_trusts', to='credentials.oauthclient'),
                ),
                migrations.AddField(
                    model_name='clientsecret',
                    name='client',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='secrets', to='credentials.oauthclient'),
                ),
                migrations.CreateModel(
                    name='ScimToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                        ('hint', models.CharField(editable=False, max_length=32)),
                        ('expires_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scim_tokens', to='enterprise.enterprise')),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'enterprise_scimtoken',
                        'ordering': ['-created_at', '-id'],
                        'abstract': False,
                    },
                ),
            ],
        ),
    ]
