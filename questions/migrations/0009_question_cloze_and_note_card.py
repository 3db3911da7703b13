"""A cloze note's text and which card of its note a card is (an own cloze card, the reverse of an Anki
note). SQLite rebuilds the table to add them, which drops the search index's triggers: as in 0008, on
SQLite the index goes first and comes back after."""

from django.db import migrations, models

from questions import search


class Migration(migrations.Migration):
    dependencies = [("questions", "0008_question_anki_guid")]

    operations = search.sqlite_index_set_aside(
        migrations.AddField("question", "cloze_text", models.TextField(
            blank=True, default="", help_text="an own cloze card: its note's text with {{c1::…}} as written; the "
                                              "question is this text with the card's own number blanked")),
        migrations.AddField("question", "note_card", models.PositiveSmallIntegerField(
            default=0, help_text="which card of its note, as Anki numbers them: 0 the first, 1 a reversed note's "
                                 "reverse, a cloze card's cloze number − 1")),
        migrations.AlterField("question", "anki_guid", models.CharField(
            blank=True, db_index=True, default="", max_length=64,
            help_text="an own card imported from Anki: its note's GUID, kept so that the card goes back to Anki as "
                      "the same note; shared by the cards of one note (its cloze numbers, its reverse)")),
    )
