"""The relationship's copy of the customer's name is kept by the database.

The Customers page sorts by ``ResellerRelationship.customer_name`` from an index
(see rel_partner_name_idx). Triggers fill it when a relationship is inserted and
follow every rename of the customer, whatever writes it (a save, a queryset
update(), a bulk insert, the admin, a SQL console), so no code has to remember.

On SQLite a migration that rebuilds customers_customer (most AlterFields do) must
drop these triggers first and create them again after: SQLite refuses to rename a
table another table's trigger names.
"""

from django.db import migrations

CUSTOMER = "customers_customer"
RELATIONSHIP = "customers_resellerrelationship"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION relationship_copy_customer_name() RETURNS trigger AS $$
BEGIN
  SELECT name INTO NEW.customer_name FROM {CUSTOMER} WHERE id = NEW.customer_id;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER relationship_customer_name BEFORE INSERT OR UPDATE OF customer_id
  ON {RELATIONSHIP} FOR EACH ROW EXECUTE FUNCTION relationship_copy_customer_name();

CREATE OR REPLACE FUNCTION customer_rename_relationships() RETURNS trigger AS $$
BEGIN
  UPDATE {RELATIONSHIP} SET customer_name = NEW.name WHERE customer_id = NEW.id;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER customer_renamed AFTER UPDATE OF name ON {CUSTOMER}
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
  EXECUTE FUNCTION customer_rename_relationships();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS relationship_customer_name ON {RELATIONSHIP};
DROP FUNCTION IF EXISTS relationship_copy_customer_name();
DROP TRIGGER IF EXISTS customer_renamed ON {CUSTOMER};
DROP FUNCTION IF EXISTS customer_rename_relationships();
"""
# SQLite cannot assign NEW in a BEFORE trigger: update the new row after it.
SQLITE_UP = [
    f"""
CREATE TRIGGER relationship_customer_name AFTER INSERT ON {RELATIONSHIP}
BEGIN
  UPDATE {RELATIONSHIP}
     SET customer_name = (SELECT name FROM {CUSTOMER} WHERE id = NEW.customer_id)
   WHERE id = NEW.id;
END;
""",
    f"""
CREATE TRIGGER relationship_customer_changed AFTER UPDATE OF customer_id
  ON {RELATIONSHIP}
BEGIN
  UPDATE {RELATIONSHIP}
     SET customer_name = (SELECT name FROM {CUSTOMER} WHERE id = NEW.customer_id)
   WHERE id = NEW.id;
END;
""",
    f"""
CREATE TRIGGER customer_renamed AFTER UPDATE OF name ON {CUSTOMER}
  WHEN OLD.name IS NOT NEW.name
BEGIN
  UPDATE {RELATIONSHIP} SET customer_name = NEW.name WHERE customer_id = NEW.id;
END;
""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS relationship_customer_name;",
    "DROP TRIGGER IF EXISTS relationship_customer_changed;",
    "DROP TRIGGER IF EXISTS customer_renamed;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_country_field")]
    operations = [migrations.RunPython(forwards, backwards)]
