import zoneinfo

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _


class SignupForm(UserCreationForm):
    # Filled in by the page from the browser (signup.js): a learner's study day starts in their own
    # time zone from the first day, not in the default one. Anything that is not a zone is ignored.
    timezone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def browser_time_zone(self) -> str | None:
        zone = self.cleaned_data.get("timezone", "")
        return zone if zone in zoneinfo.available_timezones() else None

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
        help_texts = {"email": _("Optional: where a link to reset a forgotten password is sent.")}


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for its password: a session left open on a shared computer is not
    enough to wipe a learner's years of reviews."""

    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password; nothing was deleted."))
        return password
