from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from quizapp.core import views as core_views

api_patterns = [
    path("", include("questions.api_urls")),
    path("", include("quizapp.demos.api_urls")),
    path("study/", include("quizapp.study.api_urls")),
    path("interviews/", include("quizapp.interviews.api_urls")),
    path("auth/", include("quizapp.accounts.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy refuses inline ones.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="core/swagger_ui.html"),
         name="api-docs"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("quizapp.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("questions/", include("questions.urls")),
    path("demos/", include("quizapp.demos.urls")),
    path("study/", include("quizapp.study.urls")),
    path("interviews/", include("quizapp.interviews.urls")),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
]

handler404 = core_views.not_found
