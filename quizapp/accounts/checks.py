"""A deployment check (`manage.py check --deploy`): behind a TLS proxy, TRUSTED_PROXIES must count it."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register
from rest_framework.settings import api_settings


@register(Tags.security, deploy=True)
def check_trusted_proxies(app_configs, **kwargs) -> list[Warning]:
    """Every request then comes from the proxy's address, which would be every caller's for the
    per-address limits: five failed logins would lock every learner out (axes), and the anonymous API
    rate would be one budget for the whole site."""
    behind_a_tls_proxy = settings.SECURE_SSL_REDIRECT or settings.SECURE_PROXY_SSL_HEADER is not None
    if settings.DEBUG or not behind_a_tls_proxy or api_settings.NUM_PROXIES:
        return []
    return [Warning(
        "TRUSTED_PROXIES is 0 while a proxy ends TLS (SECURE_SSL_REDIRECT or SECURE_PROXY_SSL_HEADER): "
        "every client shares the proxy's address for login lockouts and rate limits.",
        hint="Set TRUSTED_PROXIES to the number of proxies that append to X-Forwarded-For (1 for one proxy).",
        id="accounts.W001",
    )]
