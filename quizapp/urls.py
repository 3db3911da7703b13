from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from questions import urls as question_urls
from quizapp.core import views as core_views

api_patterns = [
    path("", include("questions.api_urls")),
    path("", include("quizapp.own_cards.api_urls")),
    path("", include("quizapp.demos.api_urls")),
    path("study/", include("quizapp.study.api_urls")),
    path("interviews/", include("quizapp.interviews.api_urls")),
    path("auth/", include("quizapp.accounts.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy refuses inline ones.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="core/swagger_ui.html"),
         name="api-docs"),
]

# A learner's own cards are pages under /questions/mine/, named in the questions namespace (questions:own…);
# listed before the card page, whose <slug> would take "mine".
question_patterns = [path("mine/", include("quizapp.own_cards.urls")), *question_urls.urlpatterns]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("quizapp.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("questions/", include((question_patterns, question_urls.app_name))),
    path("demos/", include("quizapp.demos.urls")),
    path("study/", include("quizapp.study.urls")),
    path("interviews/", include("quizapp.interviews.urls")),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
]

handler404 = core_views.not_found
handler500 = core_views.server_error
