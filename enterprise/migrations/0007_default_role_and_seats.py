

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('enterprise', '0006_content_types_follow_their_models'),
    ]

    operations = [
        migrations.AddField(
            model_name='enterprise',
            name='default_role',
            field=models.CharField(choices=[('viewer', 'Viewer'), ('editor', 'Editor'), ('admin', 'Admin')], default='editor', max_length=16),
        ),
        migrations.AddField(
            model_name='enterprise',
            name='seats',
            field=models.PositiveIntegerField(blank=True, help_text='How many active Admins and Editors the enterprise has bought; empty for unlimited.', null=True, verbose_name='licensed seats'),
        ),
    ]
