from rest_framework.routers import SimpleRouter

from questions.api import QuestionViewSet, TopicViewSet

router = SimpleRouter()
router.register("topics", TopicViewSet, basename="topic")
router.register("questions", QuestionViewSet, basename="question")
urlpatterns = router.urls
