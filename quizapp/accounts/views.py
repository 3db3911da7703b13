from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from quizapp.accounts.forms import SignupForm


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_safe_next(request) or "home")
    return render(request, "registration/signup.html", {"form": form})


def _safe_next(request) -> str | None:
    """The `next` page to land on after signing up, if it is a path on this site: a link to the signup
    page must not send a new account to another site, nor be mistaken for a URL name."""
    target = request.GET.get("next", "")
    on_this_site = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure())
    return target if on_this_site and target.startswith("/") else None
