"""rest_framework.authtoken kept every API token's key in plain text; django-rest-knox replaced it
(keeping only digests), so the old table, unread since, goes with every key in it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop)]
