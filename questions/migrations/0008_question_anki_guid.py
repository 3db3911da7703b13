"""The Anki GUID an own card was imported with. SQLite adds a column with a default by rebuilding the
table, which drops the search index's triggers: on SQLite the index goes first and comes back after."""

from django.db import migrations, models

from questions import search


class Migration(migrations.Migration):
    dependencies = [("questions", "0007_search_index")]

    operations = search.sqlite_index_set_aside(
        migrations.AddField("question", "anki_guid", models.CharField(
            blank=True, db_index=True, default="", max_length=64,
            help_text="an own card imported from Anki: its note's GUID, kept so that the card goes back to Anki "
                      "as the same note")),
    )
