"""``manage.py flow_api_token <tenant uid> <name>``: create an API token and print its key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ...api.authentication import new_api_token
from ...models import Tenant


class Command(BaseCommand):
    help = (
        "Create an API token for a tenant (for a POS terminal or Omnium's connector) and "
        "print its key. The key is shown only here."
    )

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="The tenant's uid.")
        parser.add_argument("name", help="What the token is for, e.g. 'omnium-connector'.")

    def handle(self, *args, tenant: str, name: str, **options):
        try:
            owner = Tenant.objects.get(uid=tenant)
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant with uid {tenant!r}.") from None
        self.stdout.write(new_api_token(owner, name).key)
