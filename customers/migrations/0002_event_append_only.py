"""Relationship events are append-only: the database itself refuses to edit them.

UPDATE is refused on both engines; DELETE too on PostgreSQL. (On SQLite, the test
runner empties tables with DELETE between transactional tests, so there the
model and its queryset refuse deletion instead.)
"""

from django.db import migrations

TABLE = "customers_relationshipevent"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION relationship_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'relationship events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER relationship_event_no_update BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION relationship_event_append_only();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS relationship_event_no_update ON {TABLE};
DROP FUNCTION IF EXISTS relationship_event_append_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER relationship_event_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'relationship events are append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS relationship_event_no_update;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
