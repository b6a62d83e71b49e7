"""URLs of the app: ``include("omnium_integration.urls")`` under any prefix."""

app_name = "omnium_integration"
urlpatterns: list = []
