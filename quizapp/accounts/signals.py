"""Receivers: a session remembers when it logged in; a changed password revokes every API token."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from quizapp.accounts.middleware import SIGNED_IN_AT
from quizapp.accounts.services import api_tokens_revoke


@receiver(user_logged_in)
def remember_when_the_session_logged_in(sender, request, user, **kwargs):
    # Only a session login: an API token login (knox sends this signal too) must not start a session.
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        session[SIGNED_IN_AT] = timezone.now().isoformat()


@receiver(pre_save, sender=get_user_model())
def revoke_api_tokens_when_the_password_changes(sender, instance, update_fields=None, **kwargs):
    """Whoever changes it (the password change page, a reset link, the admin, changepassword): a
    token made with the old password must not outlive it."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    # set_password() leaves the new password in _password until the save. A login whose password's hash
    # is outdated (another hasher or iteration count) re-hashes the same password with _password None:
    # no change. Making the password unusable (the admin) is one, though it sets no _password.
    if instance._password is None and instance.has_usable_password():
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        api_tokens_revoke(user=instance)
