from rest_framework.routers import SimpleRouter

from questions.api import QuestionViewSet, TopicViewSet
from questions.own_api import OwnCardViewSet

router = SimpleRouter()
router.register("topics", TopicViewSet, basename="topic")
router.register("questions", QuestionViewSet, basename="question")
router.register("own-cards", OwnCardViewSet, basename="own-card")
urlpatterns = router.urls
