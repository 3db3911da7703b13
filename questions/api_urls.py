from django.urls import path
from rest_framework.routers import SimpleRouter

from questions.api import AnkiExportApi, AnkiExportDownloadApi, QuestionViewSet, TopicViewSet

router = SimpleRouter()
router.register("topics", TopicViewSet, basename="topic")
router.register("questions", QuestionViewSet, basename="question")
urlpatterns = [
    *router.urls,
    path("anki-exports/<uuid:export_id>/", AnkiExportApi.as_view(), name="api-anki-export"),
    path("anki-exports/<uuid:export_id>/deck.apkg", AnkiExportDownloadApi.as_view(), name="api-anki-export-download"),
]
