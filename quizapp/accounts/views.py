from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quizapp.accounts import my_data
from quizapp.accounts.forms import AccountDeleteForm, SignupForm
from quizapp.accounts.services import account_lockout_clear, account_sign_out_everywhere
from quizapp.accounts.throttles import PasswordResetThrottle, SignupThrottle
from quizapp.study.services import study_settings_update


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttle = SignupThrottle()
        if not throttle.allow_request(request, None):  # counts accounts made, not typos in the form
            form.add_error(None, _("Too many new accounts from your address. Try again later."))
            return _refused_for_now(render(request, "registration/signup.html", {"form": form}, status=429),
                                    throttle)
        user = form.save()
        if zone := form.browser_time_zone():
            study_settings_update(user=user, fields={"timezone": zone})
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_safe_next(request) or "home")
    return render(request, "registration/signup.html", {"form": form})


def _refused_for_now(response, throttle):
    """A form's page answered 429: the rate limit `throttle` applies says when to try again."""
    response["Retry-After"] = str(int(throttle.wait() or 1))
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with a limit on the mails one address may ask for."""

    def form_valid(self, form):
        throttle = PasswordResetThrottle()
        if not throttle.allow_request(self.request, None):
            form.add_error(None, _("Too many password reset requests from your address. Try again later."))
            return _refused_for_now(self.render_to_response(self.get_context_data(form=form), status=429),
                                    throttle)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password form behind a mailed link; setting the password also lifts a lockout of the
    account, as the lockout page promises."""

    def form_valid(self, form):
        response = super().form_valid(form)
        account_lockout_clear(username=form.user.get_username())
        return response


def _safe_next(request) -> str | None:
    """The `next` page to land on after signing up, if it is a path on this site: a link to the signup
    page must not send a new account to another site, nor be mistaken for a URL name."""
    target = request.GET.get("next", "")
    on_this_site = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure())
    return target if on_this_site and target.startswith("/") else None


@login_required
@require_POST
def sign_out_everywhere(request):
    account_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("You are signed out on every device, and your API tokens are revoked."))
    return redirect("login")


@login_required
def my_data_download(request):
    """Everything of mine as one JSON file (settings, cards and reviews, own cards, interviews, demo runs)."""
    response = JsonResponse(my_data.account_data(user=request.user), encoder=DjangoJSONEncoder,
                            json_dumps_params={"ensure_ascii": False, "indent": 1})
    name = slugify(request.user.get_username()) or "learner"
    response["Content-Disposition"] = f'attachment; filename="my-data-{name}-{timezone.now():%Y-%m-%d}.json"'
    return response


@login_required
def account_delete(request):
    """A page that says what goes, and asks for the password before it goes."""
    form = AccountDeleteForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        my_data.account_delete(user=request.user)
        logout(request)
        messages.success(request, _("Your account and everything in it are deleted."))
        return redirect("home")
    return render(request, "registration/account_delete.html", {"form": form},
                  status=400 if request.method == "POST" else 200)
