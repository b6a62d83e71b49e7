"""The foreign keys to ``TenantExtension`` are called ``extension``, not ``tenant``.

``tenant`` is Flow's tenant everywhere else (``TenantExtension.tenant``); a job's
``tenant_id`` holding an extension id could address the wrong retailer silently. Only
columns are renamed: every existing row keeps its extension. The unique constraints that
name the field are dropped and made again over the renamed column.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("omnium_integration", "0003_pending_stock_change"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="externalsyncjob", name="omnium_one_active_job_per_object"
        ),
        migrations.RemoveConstraint(
            model_name="inboundevent", name="omnium_event_id_unique_per_tenant"
        ),
        migrations.RemoveConstraint(
            model_name="importedorder", name="omnium_imported_order_unique"
        ),
        migrations.RenameField("externalsyncjob", "tenant", "extension"),
        migrations.RenameField("inboundevent", "tenant", "extension"),
        migrations.RenameField("importedorder", "tenant", "extension"),
        migrations.RenameField("pendingstockchange", "tenant", "extension"),
        migrations.AlterField(
            model_name="externalsyncjob",
            name="extension",
            field=models.ForeignKey(
                help_text="The Omnium extension of the Flow tenant the job syncs for.",
                on_delete=models.deletion.CASCADE,
                related_name="jobs",
                to="omnium_integration.tenantextension",
            ),
        ),
        migrations.AddConstraint(
            model_name="externalsyncjob",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("pending", "running"))),
                fields=("extension", "kind", "object_id"),
                name="omnium_one_active_job_per_object",
            ),
        ),
        migrations.AddConstraint(
            model_name="inboundevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("event_id", ""), _negated=True),
                fields=("extension", "event_id"),
                name="omnium_event_id_unique_per_tenant",
            ),
        ),
        migrations.AddConstraint(
            model_name="importedorder",
            constraint=models.UniqueConstraint(
                fields=("extension", "omnium_order_id"), name="omnium_imported_order_unique"
            ),
        ),
    ]
