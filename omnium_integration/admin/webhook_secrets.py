"""The admin's webhook secret pages: add one (shown once), retire one, list them by number.

A new secret is shown once, on a page that can be opened once: adding it grants the
user's session a one-time ticket for it (the session holds the secret's row id, never its
value, for ``REVEAL_SECONDS`` at most), and the page consumes the ticket. The page is sent
with ``Cache-Control: no-store``. The secret never goes into a message (messages are kept
in the session or a cookie). The add form carries the number of the newest secret it was
opened on, so sending it again adds nothing. Every page needs ``change_credentials``.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from ..conf import app_settings
from ..credentials import add_webhook_secret, retire_webhook_secret
from ..exceptions import ConfigurationError
from ..models import TenantExtension, WebhookSecret

TEMPLATES = "admin/omnium_integration/tenantextension/"
SESSION_KEY = "omnium_integration.reveal_webhook_secret"
REVEAL_SECONDS = 600


class AddSecretForm(forms.Form):
    after = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    overlap_hours = forms.DecimalField(
        label="Keep the earlier secrets working for (hours)",
        min_value=0,
        max_value=24 * 90,
        decimal_places=2,
        help_text="Enter the new secret in Omnium's event subscription within this time.",
    )


def _extension(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str):
    if not model_admin.has_change_credentials_permission(request):
        raise PermissionDenied
    extension = model_admin.get_object(request, object_id)
    if extension is None:
        raise Http404("No such Omnium tenant extension.")
    return extension


def _newest_number(extension: TenantExtension) -> int:
    return extension.webhook_secrets.aggregate(n=Max("number"))["n"] or 0


def url_name(model_admin: admin.ModelAdmin, page: str) -> str:
    """The admin URL name of one of the tenant pages, e.g. ``change``."""
    return f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_{page}"


def _change_url(model_admin: admin.ModelAdmin, extension: TenantExtension) -> str:
    return reverse(f"admin:{url_name(model_admin, 'change')}", args=[extension.pk])


def _reveal_url(model_admin: admin.ModelAdmin, secret: WebhookSecret) -> str:
    name = url_name(model_admin, "reveal_webhook_secret")
    return reverse(f"admin:{name}", args=[secret.extension_id, secret.number])


def reveal_once(model_admin, request: HttpRequest, secret: WebhookSecret) -> HttpResponse:
    """Send the user to the one page that shows ``secret``, which they may open once."""
    tickets = request.session.get(SESSION_KEY, {})
    tickets[str(secret.pk)] = timezone.now().timestamp() + REVEAL_SECONDS
    request.session[SESSION_KEY] = tickets
    return HttpResponseRedirect(_reveal_url(model_admin, secret))


def _take_ticket(request: HttpRequest, secret: WebhookSecret) -> bool:
    tickets = request.session.get(SESSION_KEY, {})
    until = tickets.pop(str(secret.pk), None)
    request.session[SESSION_KEY] = tickets
    return until is not None and timezone.now().timestamp() < until


def _context(model_admin, request: HttpRequest, extension: TenantExtension, **more) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": extension,
        "change_url": _change_url(model_admin, extension),
        **more,
    }


def add_view(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    extension = _extension(model_admin, request, object_id)
    newest = _newest_number(extension)
    default_hours = app_settings.WEBHOOK_SECRET_OVERLAP / 3600
    form = AddSecretForm(
        request.POST if request.method == "POST" else None,
        initial={"after": newest, "overlap_hours": f"{default_hours:g}"},
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["after"] != newest:  # sent again, or someone else was quicker
            messages.warning(
                request,
                f"Webhook secret #{newest} was added meanwhile; nothing more was added. Its "
                "value was shown once, to whoever added it. Add another one if it was lost.",
            )
            return HttpResponseRedirect(_change_url(model_admin, extension))
        hours = float(form.cleaned_data["overlap_hours"])
        secret, _ = add_webhook_secret(
            extension, by=request.user.get_username(), overlap=timedelta(hours=hours)
        )
        return reveal_once(model_admin, request, secret)
    usable = list(extension.webhook_secrets.usable())
    context = _context(
        model_admin, request, extension, form=form, usable=usable, title="Add a webhook secret"
    )
    return TemplateResponse(request, TEMPLATES + "add_webhook_secret.html", context)


def reveal_view(model_admin, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
    """The page that shows a new secret: the only place its value ever appears, once."""
    extension = _extension(model_admin, request, object_id)
    secret = extension.webhook_secrets.filter(number=number).first()
    if secret is None or not _take_ticket(request, secret) or not secret.is_usable():
        messages.warning(
            request,
            f"Webhook secret #{number} cannot be shown: a secret is shown once, right after "
            "it is added. Add another one if it was lost.",
        )
        return HttpResponseRedirect(_change_url(model_admin, extension))
    context = _context(
        model_admin,
        request,
        extension,
        secret=secret,
        value=secret.secret,
        header=app_settings.WEBHOOK_AUTH_HEADER,
        earlier=extension.webhook_secrets.usable().exclude(pk=secret.pk),
        title=f"New webhook secret {secret}",
    )
    response = TemplateResponse(request, TEMPLATES + "new_webhook_secret.html", context)
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def retire_view(model_admin, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
    extension = _extension(model_admin, request, object_id)
    secret = extension.webhook_secrets.filter(number=number).first()
    if secret is None:
        raise Http404(f"No webhook secret #{number}.")
    if request.method == "POST":
        try:
            retire_webhook_secret(extension, number, by=request.user.get_username())
        except ConfigurationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Webhook secret #{number} retired.")
        return HttpResponseRedirect(_change_url(model_admin, extension))
    last_event = secret.events.aggregate(at=Max("received_at"))["at"]
    context = _context(
        model_admin,
        request,
        extension,
        secret=secret,
        last_event=last_event,
        title=f"Retire webhook secret {secret}",
    )
    return TemplateResponse(request, TEMPLATES + "retire_webhook_secret.html", context)


def change_form_context(model_admin, request: HttpRequest, object_id: str) -> dict:
    """The webhook secrets of the tenant page (numbers and states, never values)."""
    if not model_admin.has_view_credentials_permission(request):
        return {}
    extension = model_admin.get_object(request, object_id)
    if extension is None:
        return {}
    secrets = extension.webhook_secrets.defer("secret").annotate(
        last_event=Max("events__received_at")
    )
    return {
        "webhook_secrets": list(secrets.order_by("-number")),
        "can_change_credentials": model_admin.has_change_credentials_permission(request),
    }
