from django.db import migrations, models

# unaccent() is only STABLE (its dictionary could change), so PostgreSQL will not index it;
# these wrappers name the dictionary and promise it will not, which is what makes the trigram
# index possible. SQL-standard bodies: their references are bound now, not by search_path.
# The index is SQL too: declaring it in the model would need django.contrib.postgres, whose
# connection hook costs every new connection a query.
SEARCH = """
CREATE FUNCTION visitors_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
CREATE FUNCTION visitors_searched(name text, company text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN visitors_fold(name || ' ' || company);
CREATE INDEX visitor_search_idx ON visitors_visitor
    USING gin (visitors_searched(name, company) gin_trgm_ops);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="visitor",
            name="signed_out_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="visitor",
            index=models.Index(
                condition=models.Q(("signed_out_at__isnull", True)),
                fields=["-id"],
                name="present_idx",
            ),
        ),
        # The database's setup makes them where the app's role may not (compose's
        # deploy/database/app-role.sh); a database owner makes them here (CloudNativePG's).
        # Left in place on the way back: other databases' objects may use them.
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS pg_trgm;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            SEARCH,
            reverse_sql=(
                "DROP INDEX visitor_search_idx; DROP FUNCTION visitors_searched(text, text);"
                " DROP FUNCTION visitors_fold(text);"
            ),
        ),
    ]
