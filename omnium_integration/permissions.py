"""The app's permissions, each for one kind of work (docs/operations.md#permissions).

=================================================  ===========================================
permission                                         lets a staff user
=================================================  ===========================================
``omnium_integration.view_externalsyncjob``        see jobs, their errors and history
``omnium_integration.view_inboundevent``           see the Omnium events as they arrived
``omnium_integration.operate_externalsyncjob``     retry and cancel jobs
``omnium_integration.change_tenantextension``      change a tenant's parameters
``omnium_integration.view_credentials``            see whether credentials are set, the token's
                                                   state, the webhook secrets (by number) and
                                                   the credential changes; test the connection
``omnium_integration.change_credentials``          replace the client id and secret, change the
                                                   API base URL (where the secret is sent), add
                                                   and retire webhook secrets
=================================================  ===========================================

No permission shows a stored secret: a new webhook secret is shown once, to whoever added
it. Superusers hold every permission.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OPERATE_JOBS = "omnium_integration.operate_externalsyncjob"
CHANGE_PARAMETERS = "omnium_integration.change_tenantextension"
VIEW_CREDENTIALS = "omnium_integration.view_credentials"
CHANGE_CREDENTIALS = "omnium_integration.change_credentials"

User = AbstractBaseUser | AnonymousUser


def can_operate_jobs(user: User) -> bool:
    return user.has_perm(OPERATE_JOBS)


def can_change_parameters(user: User) -> bool:
    return user.has_perm(CHANGE_PARAMETERS)


def can_change_credentials(user: User) -> bool:
    return user.has_perm(CHANGE_CREDENTIALS)


def can_view_credentials(user: User) -> bool:
    """Seeing the credentials' state; whoever may change them may see it too."""
    return user.has_perm(VIEW_CREDENTIALS) or can_change_credentials(user)
