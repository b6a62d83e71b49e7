"""The stub's URLs plus the benchmarks' bare view (``bench/bare/``)."""

from django.urls import path

from bench.benchapp.views import BareEventView
from flow_stub_project.urls import urlpatterns as stub_urlpatterns

urlpatterns = [*stub_urlpatterns, path("bench/bare/", BareEventView.as_view(), name="bench-bare")]
