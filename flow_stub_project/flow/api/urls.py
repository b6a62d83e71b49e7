app_name = "flow_api"
urlpatterns: list = []
