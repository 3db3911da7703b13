"""Answers render afresh: a line wrapped between two Chinese characters no longer shows a space,
and a numbered list a formula interrupts keeps its numbers. The corpus would also be re-rendered
by the next load_corpus; learners' own cards are rendered only here."""

from django.db import migrations

from questions.rendering import render_markdown

BATCH = 500


def rerender(apps, schema_editor):
    Question = apps.get_model("questions", "Question")
    changed = []
    for question in Question.objects.only("answer_en", "answer_zh", "answer_html_en", "answer_html_zh").iterator():
        html = {"answer_html_en": render_markdown(question.answer_en),
                "answer_html_zh": render_markdown(question.answer_zh)}
        if any(getattr(question, name) != value for name, value in html.items()):
            for name, value in html.items():
                setattr(question, name, value)
            changed.append(question)
    Question.objects.bulk_update(changed, ["answer_html_en", "answer_html_zh"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("questions", "0003_question_ordering_by_id")]
    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
