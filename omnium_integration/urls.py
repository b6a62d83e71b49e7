"""URLs of the app: ``include("omnium_integration.urls")`` under any prefix."""

from django.urls import path

from . import views

app_name = "omnium_integration"
urlpatterns = [
    path("health/", views.health, name="health"),
]
