"""URLs of the app: ``include("omnium_integration.urls")`` under any prefix."""

from django.urls import path

from . import views
from .webhooks.views import OmniumEventView

app_name = "omnium_integration"
urlpatterns = [
    path("health/", views.health, name="health"),
    path("metrics/", views.metrics, name="metrics"),
    # The Omnium Event API: one URL per tenant, named by the Flow tenant's uid.
    path("events/<str:tenant_key>/", OmniumEventView.as_view(), name="events"),
]
