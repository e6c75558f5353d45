import django.db.models.deletion
import django.db.models.functions.text
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
                    name='Group',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scim_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('external_id', models.CharField(blank=True, max_length=255, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('display_name', models.CharField(max_length=255)),
                        ('grants_admin', models.BooleanField(default=False, verbose_name='grants the Enterprise admin role')),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='enterprise.enterprise')),
                    ],
                    options={
                        'db_table': 'enterprise_group',
                        'ordering': ['id'],
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='Member',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scim_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('external_id', models.CharField(blank=True, max_length=255, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('user_name', models.CharField(max_length=255)),
                        ('display_name', models.CharField(blank=True, max_length=255)),
                        ('given_name', models.CharField(blank=True, max_length=255)),
                        ('family_name', models.CharField(blank=True, max_length=255)),
                        ('formatted_name', models.CharField(blank=True, max_length=255)),
                        ('email', models.CharField(blank=True, max_length=320, verbose_name='work email')),
                        ('email_type', models.CharField(blank=True, max_length=64)),
                        ('title', models.CharField(blank=True, max_length=255)),
                        ('preferred_language', models.CharField(blank=True, max_length=64)),
                        ('employee_number', models.CharField(blank=True, max_length=255)),
                        ('department', models.CharField(blank=True, max_length=255)),
                        ('active', models.BooleanField(default=True)),
                        ('profile', models.JSONField(blank=True, default=dict)),
                        ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='enterprise.enterprise')),
                        ('manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='direct_reports', to='directory.member')),
                        ('user', models.ForeignKey(blank=True, help_text='The Plandisc login account this person signs in with.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='enterprise_memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'enterprise_member',
                        'ordering': ['id'],
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='GroupMembership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='directory.group')),
                        ('member', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='group_memberships', to='directory.member')),
                    ],
                    options={
                        'db_table': 'enterprise_groupmembership',
                    },
                ),
                migrations.AddField(
                    model_name='group',
                    name='members',
                    field=models.ManyToManyField(blank=True, related_name='groups', through='directory.GroupMembership', to='directory.member'),
                ),
                migrations.CreateModel(
                    name='MemberSession',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('session_key', models.CharField(max_length=40, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('member', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sessions', to='directory.member')),
                    ],
                    options={
                        'db_table': 'enterprise_ssosession',
                    },
                ),
                migrations.AddIndex(
                    model_name='member',
                    index=models.Index(models.F('enterprise'), django.db.models.functions.text.Upper('email'), name='member_email_idx'),
                ),
                migrations.AddIndex(
                    model_name='member',
                    index=models.Index(fields=['enterprise', 'id'], name='member_page_idx'),
                ),
                migrations.AddIndex(
                    model_name='member',
                    index=models.Index(fields=['enterprise', 'external_id'], name='member_external_id_idx'),
                ),
                migrations.AddConstraint(
                    model_name='member',
                    constraint=models.UniqueConstraint(models.F('enterprise'), django.db.models.functions.text.Upper('user_name'), name='member_unique_username'),
                ),
                migrations.AddIndex(
                    model_name='groupmembership',
                    index=models.Index(fields=['member'], name='membership_member_idx'),
                ),
                migrations.AddConstraint(
                    model_name='groupmembership',
                    constraint=models.UniqueConstraint(fields=('group', 'member'), name='membership_unique_pair'),
                ),
                migrations.AddIndex(
                    model_name='group',
                    index=models.Index(fields=['enterprise', 'id'], name='group_page_idx'),
                ),
                migrations.AddIndex(
                    model_name='group',
                    index=models.Index(fields=['enterprise', 'external_id'], name='group_external_id_idx'),
                ),
                migrations.AddConstraint(
                    model_name='group',
                    constraint=models.UniqueConstraint(models.F('enterprise'), django.db.models.functions.text.Upper('display_name'), name='group_unique_display_name'),
                ),
            ],
        ),
    ]
