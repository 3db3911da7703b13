"""Answers render afresh: a line wrapped between two Chinese characters no longer shows a space,
and a numbered list a formula interrupts keeps its numbers. The corpus would also be re-rendered
by the next load_corpus; learners' own cards are rendered only here."""

from django.db import migrations

from questions.rendering import render_markdown

BATCH = 500


def rerender(apps, schema_editor):
    Question = apps.get_model("questions", "Question")
    fields = ["answer_html_en", "answer_html_zh"]
    changed = []
    for question in Question.objects.only("answer_en", "answer_zh", *fields).iterator(chunk_size=BATCH):
        html = {"answer_html_en": render_markdown(question.answer_en),
                "answer_html_zh": render_markdown(question.answer_zh)}
        if any(getattr(question, name) != value for name, value in html.items()):
            for name, value in html.items():
                setattr(question, name, value)
            changed.append(question)
        if len(changed) == BATCH:  # written as it goes: every learner's own cards may be many
            Question.objects.bulk_update(changed, fields)
            changed = []
    Question.objects.bulk_update(changed, fields)


class Migration(migrations.Migration):
    dependencies = [("questions", "0003_question_ordering_by_id")]
    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
