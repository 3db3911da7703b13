from django.urls import path

from quizapp.demos import views

app_name = "demos"
urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("history/", views.history, name="history"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("<str:demo_id>/", views.detail, name="detail"),
]
