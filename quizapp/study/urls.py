from django.urls import path

from quizapp.study import views

app_name = "study"
urlpatterns = [
    path("", views.session, name="session"),
    path("try/", views.try_cards, name="try"),
    path("first-day/", views.first_day, name="first-day"),
    path("stats/", views.statistics, name="stats"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/optimal-retention/", views.use_optimal_retention, name="use-optimal-retention"),
    path("plan/", views.plan, name="plan"),
    path("leeches/", views.leeches, name="leeches"),
    path("leeches/<int:pk>/<str:action>/", views.leech_action, name="leech-action"),
    path("browse/", views.browse, name="browse"),
    path("browse/bulk/", views.browse_bulk, name="browse-bulk"),
    path("optimize/", views.optimize, name="optimize"),
    path("custom/", views.custom_study, name="custom"),
    path("custom/new-cards/", views.custom_new_cards, name="custom-new-cards"),
    path("custom/ahead/", views.custom_ahead, name="custom-ahead"),
    path("custom/forgotten/", views.custom_forgotten, name="custom-forgotten"),
    path("custom/cram/", views.custom_cram, name="custom-cram"),
    path("custom/mock/", views.mock_today, name="custom-mock"),
]
