"""URLs of the app: ``include("omnium_integration.urls")`` under any prefix."""

from django.urls import path

app_name = "omnium_integration"
urlpatterns: list = []
