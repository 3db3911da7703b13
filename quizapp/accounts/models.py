from django.conf import settings
from django.db import models


class SignOut(models.Model):
    """When a learner last signed out everywhere: sessions that began before it are ended on their
    next request (Django keeps a session valid until the password changes)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="sign_out")
    everywhere_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} signed out everywhere at {self.everywhere_at:%Y-%m-%d %H:%M}"
