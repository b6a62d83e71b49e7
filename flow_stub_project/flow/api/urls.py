from django.urls import path

app_name = "flow_api"
urlpatterns: list = []
