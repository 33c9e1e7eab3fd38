"""Admin relationship events are append-only, like the relationship events of the
seed (customers 0002): UPDATE refused on both engines, DELETE too on PostgreSQL."""

from django.db import migrations

TABLE = "gdap_gdapevent"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION gdap_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'admin relationship events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER gdap_event_no_update BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION gdap_event_append_only();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS gdap_event_no_update ON {TABLE};
DROP FUNCTION IF EXISTS gdap_event_append_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER gdap_event_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'admin relationship events are append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS gdap_event_no_update;"


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
    dependencies = [("gdap", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
