from django.urls import path

from quizapp.demos import api

urlpatterns = [
    path("demos/", api.DemoListApi.as_view(), name="api-demo-list"),
    path("demos/<str:demo_id>/", api.DemoDetailApi.as_view(), name="api-demo-detail"),
    path("demos/<str:demo_id>/runs/", api.DemoRunStartApi.as_view(), name="api-demo-run-start"),
    path("runs/", api.MyDemoRunsApi.as_view(), name="api-my-runs"),
    path("runs/<uuid:run_id>/", api.DemoRunDetailApi.as_view(), name="api-run-detail"),
]
