from rest_framework.routers import SimpleRouter

from quizapp.own_cards.api import OwnCardViewSet

router = SimpleRouter()
router.register("own-cards", OwnCardViewSet, basename="own-card")
urlpatterns = router.urls
