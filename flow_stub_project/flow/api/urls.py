"""Flow's REST API: ``pos/`` for the tills, the rest for master data pushed by Omnium."""

from django.urls import include, path

app_name = "flow_api"
urlpatterns = [
    path("pos/", include("flow_stub_project.flow.api.pos.urls")),
    path("", include("flow_stub_project.flow.api.masterdata.urls")),
]
