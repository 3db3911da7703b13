from django.urls import path

from quizapp.accounts import api

urlpatterns = [
    path("login/", api.TokenLoginApi.as_view(), name="api-token-login"),
    path("logout/", api.TokenLogoutApi.as_view(), name="api-token-logout"),
    path("logoutall/", api.TokenLogoutAllApi.as_view(), name="api-token-logoutall"),
]
