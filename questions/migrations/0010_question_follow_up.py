"""A card's follow-up question for mock interviews. SQLite rebuilds the table to add it: as in 0008, the
search index is set aside meanwhile."""

from django.db import migrations, models

from questions import search


class Migration(migrations.Migration):
    dependencies = [("questions", "0009_question_cloze_and_note_card")]

    operations = search.sqlite_index_set_aside(
        migrations.AddField("question", "follow_up", models.JSONField(
            blank=True, default=dict,
            help_text='{} or {"probes": [0-based key point indexes], "question": {"en", "zh"}, "key_points": [...]}: '
                      "what a mock interviewer asks next when the answer missed a probed point")),
    )
