

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    """Deleted members are kept as recently deleted (deleted_at, deleted_by) instead of their rows going.
    Every existing row stays as it is (both new columns are empty: nobody is deleted), and the userName stays
    unique among the members who are not deleted; the partial index finds the few who are."""

    dependencies = [
        ('directory', '0002_roles'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='member',
            name='member_unique_username',
        ),
        migrations.AddField(
            model_name='member',
            name='deleted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='member',
            name='deleted_by',
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('deleted_at__isnull', False)), fields=['enterprise', 'deleted_at'], name='member_recently_deleted_idx'),
        ),
        migrations.AddConstraint(
            model_name='member',
            constraint=models.UniqueConstraint(models.F('enterprise'), django.db.models.functions.text.Upper('user_name'), condition=models.Q(('deleted_at__isnull', True)), name='member_unique_username'),
        ),
    ]
