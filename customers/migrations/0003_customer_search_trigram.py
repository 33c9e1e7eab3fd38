"""PostgreSQL only: trigram indexes for the Customers search (R11).

The search is "name or domain contains, whatever the case", which Django compiles
to ``UPPER(column) LIKE UPPER('%term%')`` on PostgreSQL: no B-tree index can serve
it, so each search read every customer. GIN trigram indexes on exactly those
expressions can (bench/README.md, "Performance"). SQLite has no such index; there
the search scans the customer table, a few milliseconds at 10,000 customers.
pg_trgm is a trusted extension: the database owner may create it.
"""

from django.db import migrations

INDEXES = {
    "customer_name_trgm": "name",
    "customer_domain_trgm": "domain",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer "
            f"USING gin (UPPER({column}) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_event_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
