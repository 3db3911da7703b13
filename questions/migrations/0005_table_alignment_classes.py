"""Answers render afresh (0004's function, so with whatever the rendering is today): a table
column's alignment is a class, no longer a style attribute that the Content-Security-Policy
refuses. Only learners' own cards can hold such tables; load_corpus re-renders the corpus anyway."""

import importlib

from django.db import migrations

rerender = importlib.import_module("questions.migrations.0004_rerender_answers").rerender


class Migration(migrations.Migration):
    dependencies = [("questions", "0004_rerender_answers")]
    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
