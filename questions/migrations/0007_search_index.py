"""Aliases, the search index's token fields filled for every card, and the index itself: a GIN index on
PostgreSQL, an FTS5 table kept in step by triggers on SQLite (questions.search)."""

from django.db import migrations, models

from questions import search


def fill_tokens(apps, schema_editor):
    Question = apps.get_model("questions", "Question")
    for question in Question.objects.prefetch_related("tags"):
        fields = search.index_fields(
            question_en=question.question_en, question_zh="" if question.owner_id else question.question_zh,
            answer_en=question.answer_en, answer_zh="" if question.owner_id else question.answer_zh,
            tags=[tag.name for tag in question.tags.all()], aliases=question.aliases)
        Question.objects.filter(pk=question.pk).update(**fields)


def statements(create: bool):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        chosen = {("postgresql", True): search.POSTGRESQL_CREATE, ("postgresql", False): search.POSTGRESQL_DROP,
                  ("sqlite", True): search.SQLITE_CREATE, ("sqlite", False): search.SQLITE_DROP}.get((vendor, create))
        for statement in chosen or []:
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("questions", "0006_topic_groups")]

    operations = [
        migrations.AddField("question", "aliases", models.JSONField(
            blank=True, default=list, help_text="other names search finds the card by")),
        migrations.AddField("question", "search_tokens", models.TextField(default="", editable=False)),
        migrations.AddField("question", "search_head", models.TextField(default="", editable=False)),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.RunPython(statements(create=True), statements(create=False)),
    ]
