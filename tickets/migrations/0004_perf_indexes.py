# Indexes measured with bench/ at 1,000,000 tickets (see bench/README.md).

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

OPEN = ["new", "assigned", "in_progress", "pending"]


class AddIndexOnPostgres(migrations.AddIndex):
    """Trigram GIN indexes exist on PostgreSQL only; the SQLite demo searches without them (same model state)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def trigram_index(column: str) -> django.contrib.postgres.indexes.GinIndex:
    return django.contrib.postgres.indexes.GinIndex(
        django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper(column), name="gin_trgm_ops"),
        name=f"ticket_{column}_trgm_idx",
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_followups_complaints")]

    operations = [
        TrigramExtension(),  # a no-op outside PostgreSQL
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", OPEN)),
                fields=["sla_due", "-created_at", "-id"],
                name="ticket_open_sla_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", OPEN)),
                fields=["status"],
                include=("id", "assignee", "group"),
                name="ticket_open_counts_idx",
            ),
        ),
        AddIndexOnPostgres(model_name="ticket", index=trigram_index("number")),
        AddIndexOnPostgres(model_name="ticket", index=trigram_index("title")),
        AddIndexOnPostgres(model_name="ticket", index=trigram_index("description")),
    ]
