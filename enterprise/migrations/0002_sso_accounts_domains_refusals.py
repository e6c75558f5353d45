import secrets

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def give_accounts_owners(apps, schema_editor):
    """
    Login accounts get the enterprise that owns them. A password-less, non-staff account linked to members gets
    the enterprise of the member linked first; members of other enterprises linked to it (how one enterprise's
    identity provider took over another's account) lose the link, get an account of their own at their next
    sign-in, and their sessions on the old account are signed out by the session middleware's check. A
    password-less account that is linked to nobody and administers exactly one enterprise (create_enterprise
    without --admin-password) belongs to that enterprise. Accounts with a password or staff get no owner.
    Existing email domains get a token of their own and stay unverified until verified.
    """
    Member = apps.get_model("enterprise", "Member")
    LoginAccount = apps.get_model("enterprise", "LoginAccount")
    SsoDomain = apps.get_model("enterprise", "SsoDomain")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    sso_only = User.objects.filter(is_staff=False, is_superuser=False, password__startswith="!")
    for user in sso_only.filter(enterprise_memberships__isnull=False).distinct():
        first = Member.objects.filter(user=user).order_by("pk").first()
        LoginAccount.objects.create(user=user, enterprise_id=first.enterprise_id)
        Member.objects.filter(user=user).exclude(enterprise_id=first.enterprise_id).update(user=None)
    for user in sso_only.filter(enterprise_memberships__isnull=True, login_account__isnull=True):
        administered = list(user.administered_enterprises.values_list("pk", flat=True)[:2])
        if len(administered) == 1:
            LoginAccount.objects.create(user=user, enterprise_id=administered[0])
    for domain in SsoDomain.objects.all():
        domain.token = secrets.token_urlsafe(24)
        domain.save(update_fields=["token"])


class Migration(migrations.Migration):

    dependencies = [
        ('enterprise', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LoginAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
        ),
        migrations.CreateModel(
            name='SsoRefusal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reference', models.CharField(db_index=True, max_length=9)),
                ('detail', models.CharField(max_length=1000)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='samlrequest',
            name='browser_digest',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='ssodomain',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name='ssodomain',
            name='token',
            field=models.CharField(default='', editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='ssodomain',
            name='verified_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('token_created', 'SCIM token created'), ('token_revoked', 'SCIM token revoked'), ('scim_enabled', 'SCIM provisioning turned on'), ('scim_disabled', 'SCIM provisioning turned off'), ('sso_configured', 'Single sign-on configured'), ('domain_added', 'Email domain added'), ('domain_verified', 'Email domain verified'), ('domain_removed', 'Email domain removed'), ('domain_reclaimed', 'Email domain reclaimed by Plandisc support')], max_length=32),
        ),
        migrations.AlterField(
            model_name='ssodomain',
            name='domain',
            field=models.CharField(max_length=253),
        ),
        migrations.AddConstraint(
            model_name='ssodomain',
            constraint=models.UniqueConstraint(fields=('connection', 'domain'), name='sso_domain_unique_claim'),
        ),
        migrations.AddConstraint(
            model_name='ssodomain',
            constraint=models.UniqueConstraint(condition=models.Q(('verified_at__isnull', False)), fields=('domain',), name='sso_domain_unique_verified'),
        ),
        migrations.AddField(
            model_name='loginaccount',
            name='enterprise',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='login_accounts', to='enterprise.enterprise'),
        ),
        migrations.AddField(
            model_name='loginaccount',
            name='user',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='login_account', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='ssorefusal',
            name='enterprise',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sso_refusals', to='enterprise.enterprise'),
        ),
        migrations.RunPython(give_accounts_owners, migrations.RunPython.noop),
    ]
