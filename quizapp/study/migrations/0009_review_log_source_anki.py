"""A review log's source may be "anki": a review imported from an Anki review log."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("study", "0008_new_cards_core_first")]

    operations = [
        migrations.AlterField("reviewlog", "source", models.CharField(
            choices=[("study", "Study"), ("interview", "Interview"), ("anki", "Anki")], default="study",
            max_length=10)),
    ]
