from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("flow_stub_project.flow.api.urls")),
    path("omnium/", include("omnium_integration.urls")),
]
