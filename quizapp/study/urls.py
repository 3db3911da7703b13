from django.urls import path

from quizapp.study import views

app_name = "study"
urlpatterns = [
    path("", views.session, name="session"),
    path("stats/", views.statistics, name="stats"),
    path("settings/", views.settings_page, name="settings"),
    path("leeches/", views.leeches, name="leeches"),
    path("leeches/<int:pk>/<str:action>/", views.leech_action, name="leech-action"),
    path("browse/", views.browse, name="browse"),
    path("browse/bulk/", views.browse_bulk, name="browse-bulk"),
    path("optimize/", views.optimize, name="optimize"),
]
