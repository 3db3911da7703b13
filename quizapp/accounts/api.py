"""Token login and logout for API clients (django-rest-knox): a token is shown once, stored as a
digest, expires after REST_KNOX's TOKEN_TTL and is revoked by a logout, a password change,
"sign out everywhere" or, the oldest first, by logins past API_TOKENS_PER_USER. A login that fails
too often is locked out by axes (429)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from quizapp.accounts.authentication import KnoxTokenAuthentication
from quizapp.accounts.services import api_token_create


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send it as Authorization: Token <token>; it is shown only now")
    expiry = serializers.DateTimeField(allow_null=True)


class TokenLoginApi(knox_views.LoginView):
    authentication_classes = []  # the body's username and password are the credentials
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_login"

    @extend_schema(request=CredentialsSerializer, summary="Log in for an API token",
                   description="400 for a wrong username or password; 429 for too many attempts, or after "
                               "repeated failures (locked out for AXES_COOLOFF_MINUTES). A learner keeps at "
                               "most API_TOKENS_PER_USER tokens (10): a login past that revokes their oldest.",
                   responses={200: TokenSerializer})
    def post(self, request, format=None):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Django's request, not DRF's: axes marks it when the login is locked out, and its middleware
        # then answers 429 instead of this view.
        user = authenticate(request._request, **credentials.validated_data)
        if user is None:
            raise ValidationError({"non_field_errors": [_("Wrong username or password.")]})
        request.user = user
        return super().post(request, format)

    def create_token(self):
        return api_token_create(user=self.request.user)  # bounded per learner, unlike knox's own


class TokenLogoutApi(knox_views.LogoutView):
    authentication_classes = [KnoxTokenAuthentication]  # knox's views name its own class

    @extend_schema(request=None, responses={204: None}, summary="Revoke the token this request sends")
    def post(self, request, format=None):
        return super().post(request, format)


class TokenLogoutAllApi(knox_views.LogoutAllView):
    authentication_classes = [KnoxTokenAuthentication]

    @extend_schema(request=None, responses={204: None}, summary="Revoke every token of this learner")
    def post(self, request, format=None):
        return super().post(request, format)
