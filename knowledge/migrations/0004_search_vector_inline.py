"""Keep article search vectors inline (compressed) instead of out of line in TOAST: ranking reads the vector of
every candidate, and a TOAST fetch costs an index probe plus chunk pages per row. PostgreSQL only."""

from django.db import migrations


def inline(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE knowledge_article ALTER COLUMN search_vector SET STORAGE MAIN")


def external(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE knowledge_article ALTER COLUMN search_vector SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_workflow_search_feedback")]

    operations = [migrations.RunPython(inline, external)]
