"""Secrets at rest, webhook secret rotation, and permissions of their own.

* The client secret and the token are encrypted in place with ENCRYPTION_KEYS: the column
  is widened to text, every stored value encrypted, and the field becomes encrypted
  (no change in the database).
* Each tenant's webhook secret becomes its webhook secret #1, encrypted, in the new
  WebhookSecret table; the old column goes.
* Retrying and cancelling jobs needs its own permission (operate_externalsyncjob): whoever
  could do it before (the job change permission) is given it, so nobody loses it on
  upgrade. The credential permissions (view_credentials, change_credentials) are granted
  by hand: holding the tenant change permission no longer reaches the credentials.

Reversible: going back decrypts the values and puts the newest usable webhook secret back
in the old column.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import omnium_integration.fields
from omnium_integration import crypto

ENCRYPTED = ("client_secret", "token")


def encrypt_stored_credentials(apps, schema_editor):
    Extension = apps.get_model("omnium_integration", "TenantExtension")
    WebhookSecret = apps.get_model("omnium_integration", "WebhookSecret")
    db = schema_editor.connection.alias
    for extension in Extension.objects.using(db).order_by("pk").iterator():
        clear = {name: getattr(extension, name) for name in ENCRYPTED}
        encrypted = {name: crypto.encrypt(value) for name, value in clear.items() if value}
        if encrypted:
            Extension.objects.using(db).filter(pk=extension.pk).update(**encrypted)
        if extension.webhook_secret:  # encrypted by the new table's field
            WebhookSecret.objects.using(db).create(
                extension_id=extension.pk,
                number=1,
                secret=extension.webhook_secret,
                created_at=extension.created_at,
                created_by="migration 0006",
            )


def decrypt_stored_credentials(apps, schema_editor):
    Extension = apps.get_model("omnium_integration", "TenantExtension")
    WebhookSecret = apps.get_model("omnium_integration", "WebhookSecret")
    db = schema_editor.connection.alias
    now = django.utils.timezone.now()
    for extension in Extension.objects.using(db).order_by("pk").iterator():
        clear = {
            name: crypto.decrypt(getattr(extension, name), what=f"TenantExtension.{name}")
            for name in ENCRYPTED
            if getattr(extension, name)
        }
        newest = (
            WebhookSecret.objects.using(db)
            .filter(extension_id=extension.pk)
            .exclude(secret="")
            .filter(models.Q(expires_at=None) | models.Q(expires_at__gt=now))
            .order_by("-number")
            .first()
        )
        if newest is not None:
            clear["webhook_secret"] = newest.secret
        if clear:
            Extension.objects.using(db).filter(pk=extension.pk).update(**clear)


def carry_over_job_operators(apps, schema_editor):
    """Holders of the job change permission (which gated retry and cancel) get the new one."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    content_type = (
        ContentType.objects.using(db)
        .filter(app_label="omnium_integration", model="externalsyncjob")
        .first()
    )
    if content_type is None:  # a new database: permissions come later, held by nobody
        return
    change = Permission.objects.using(db).filter(
        content_type=content_type, codename="change_externalsyncjob"
    )
    change = change.first()
    if change is None:
        return
    operate, _ = Permission.objects.using(db).get_or_create(
        content_type=content_type,
        codename="operate_externalsyncjob",
        defaults={"name": "Can retry and cancel Omnium sync jobs"},
    )
    for group in change.group_set.all():
        group.permissions.add(operate)
    if hasattr(change, "user_set"):  # a user model with Django's permissions
        for user in change.user_set.all():
            user.user_permissions.add(operate)


class Migration(migrations.Migration):
    dependencies = [
        ("omnium_integration", "0005_identity_map"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="externalsyncjob",
            options={
                "permissions": [
                    ("operate_externalsyncjob", "Can retry and cancel Omnium sync jobs")
                ],
                "verbose_name": "external sync job",
            },
        ),
        migrations.AlterModelOptions(
            name="tenantextension",
            options={
                "permissions": [
                    (
                        "view_credentials",
                        "Can see the state of Omnium credentials and webhook secrets",
                    ),
                    ("change_credentials", "Can change Omnium credentials and webhook secrets"),
                ],
                "verbose_name": "Omnium tenant extension",
            },
        ),
        migrations.CreateModel(
            name="CredentialChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tenant_key", models.CharField(max_length=200, verbose_name="tenant")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("client_id", "OMNIUM_CLIENT_ID replaced"),
                            ("client_secret", "OMNIUM_CLIENT_SECRET replaced"),
                            ("api_base_url", "Omnium API base URL changed"),
                            ("webhook_secret_added", "Webhook secret added"),
                            ("webhook_secret_retired", "Webhook secret retired"),
                            (
                                "extension_deleted",
                                "Extension deleted, its credentials with it",
                            ),
                        ],
                        max_length=40,
                    ),
                ),
                (
                    "detail",
                    models.CharField(blank=True, help_text="Never a value.", max_length=200),
                ),
                ("changed_by", models.CharField(max_length=150)),
                (
                    "changed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "extension",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="credential_changes",
                        to="omnium_integration.tenantextension",
                    ),
                ),
            ],
            options={
                "verbose_name": "credential change",
                "ordering": ["-changed_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="WebhookSecret",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(editable=False)),
                (
                    "secret",
                    omnium_integration.fields.EncryptedTextField(blank=True, editable=False),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("created_by", models.CharField(blank=True, editable=False, max_length=150)),
                (
                    "expires_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="Refused from this moment on; empty: no end set yet.",
                        null=True,
                    ),
                ),
                ("retired_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("retired_by", models.CharField(blank=True, editable=False, max_length=150)),
                (
                    "extension",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="webhook_secrets",
                        to="omnium_integration.tenantextension",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook secret",
                "ordering": ["extension", "-number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("extension", "number"),
                        name="omnium_webhook_secret_number_unique",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="webhook_secret",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="omnium_integration.webhooksecret",
                verbose_name="webhook secret used",
            ),
        ),
        # Room for a ciphertext (about 1.4 times the text, plus 57 bytes), still in clear.
        migrations.AlterField(
            model_name="tenantextension",
            name="client_secret",
            field=models.TextField(blank=True, verbose_name="OMNIUM_CLIENT_SECRET"),
        ),
        migrations.RunPython(encrypt_stored_credentials, decrypt_stored_credentials),
        # The same text columns, now read and written through the keys.
        migrations.AlterField(
            model_name="tenantextension",
            name="client_secret",
            field=omnium_integration.fields.EncryptedTextField(
                blank=True, verbose_name="OMNIUM_CLIENT_SECRET"
            ),
        ),
        migrations.AlterField(
            model_name="tenantextension",
            name="token",
            field=omnium_integration.fields.EncryptedTextField(
                blank=True, editable=False, verbose_name="OMNIUM_TOKEN"
            ),
        ),
        migrations.RemoveField(
            model_name="tenantextension",
            name="webhook_secret",
        ),
        migrations.RunPython(carry_over_job_operators, migrations.RunPython.noop),
    ]
