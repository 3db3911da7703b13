from django.urls import path

from quizapp.study import api

urlpatterns = [
    path("queue/", api.QueueApi.as_view(), name="api-study-queue"),
    path("reviews/", api.ReviewApi.as_view(), name="api-study-review"),
    path("undo/", api.UndoApi.as_view(), name="api-study-undo"),
    path("bury/", api.BuryApi.as_view(), name="api-study-bury"),
    path("suspend/", api.SuspendApi.as_view(), name="api-study-suspend"),
    path("cards/", api.CardListApi.as_view(), name="api-study-cards"),
    path("cards/<int:pk>/", api.CardDetailApi.as_view(), name="api-study-card"),
    path("cards/<int:pk>/unsuspend/", api.CardUnsuspendApi.as_view(), name="api-study-card-unsuspend"),
    path("cards/<int:pk>/unbury/", api.CardUnburyApi.as_view(), name="api-study-card-unbury"),
    path("cards/<int:pk>/reset/", api.CardResetApi.as_view(), name="api-study-card-reset"),
    path("cards/<int:pk>/history/", api.CardHistoryApi.as_view(), name="api-study-card-history"),
    path("browse/", api.BrowseListApi.as_view(), name="api-study-browse"),
    path("browse/actions/", api.BulkActionApi.as_view(), name="api-study-browse-actions"),
    path("logs/", api.ReviewLogListApi.as_view(), name="api-study-logs"),
    path("logs/<int:pk>/", api.ReviewLogDetailApi.as_view(), name="api-study-log"),
    path("settings/", api.SettingsApi.as_view(), name="api-study-settings"),
    path("stats/", api.StatsApi.as_view(), name="api-study-stats"),
    path("optimizations/", api.OptimizationStartApi.as_view(), name="api-study-optimize"),
    path("optimizations/<int:pk>/", api.OptimizationDetailApi.as_view(), name="api-study-optimization"),
]
