from django.db import migrations, models


class Migration(migrations.Migration):
    """The progress message becomes {"en": ..., "zh": ...}. The old text is not JSON and is only the
    latest report of a run (a running one reports again within a step), so the column is replaced,
    not converted: ALTER ... TYPE jsonb would fail on any row that holds one."""

    dependencies = [
        ("demos", "0002_demorun_task_id"),
    ]

    operations = [
        migrations.RemoveField(model_name="demorun", name="progress_message"),
        migrations.AddField(
            model_name="demorun",
            name="progress_message",
            field=models.JSONField(blank=True, default=dict,
                                   help_text='what the run is doing, {"en": ..., "zh": ...}; {} before it starts'),
        ),
    ]
