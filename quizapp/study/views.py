from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quizapp.core.errors import AppError
from quizapp.study import optimizing, selectors, services, stats
from quizapp.study.days import study_day_for
from quizapp.study.forms import StudySettingsForm


@login_required
def session(request):
    return render(request, "study/session.html")


@login_required
def statistics(request):
    return render(request, "study/stats.html", {"stats": stats.study_stats(user=request.user, now=timezone.now())})


@login_required
def settings_page(request):
    current = selectors.study_settings_get(user=request.user)
    if request.method != "POST":
        return render(request, "study/settings.html", {"form": StudySettingsForm(instance=current)})
    form = StudySettingsForm(request.POST, instance=current)
    if not form.is_valid():
        # The same answer the API gives for bad values: 400, with a message next to each field.
        return render(request, "study/settings.html", {"form": form}, status=400)
    fields = {name: value for name, value in form.cleaned_data.items() if name != "topics"}
    services.study_settings_update(user=request.user, fields=fields, topics=form.cleaned_data["topics"])
    messages.success(request, _("Settings saved."))
    return redirect("study:settings")


@login_required
def leeches(request):
    today = study_day_for(study_settings=selectors.study_settings_get(user=request.user), now=timezone.now()).day
    return render(request, "study/leeches.html", {
        "cards": selectors.leeches_for_user(user=request.user),
        "set_aside": selectors.set_aside_for_user(user=request.user, day=today)})


@login_required
@require_POST
def leech_action(request, pk: int, action: str):
    change, done = {"unsuspend": (services.card_unsuspend, _("Card unsuspended.")),
                    "unbury": (services.card_unbury, _("Card back in today's queue.")),
                    "reset": (services.card_reset, _("Card reset to new."))}.get(action, (None, None))
    if change is None:
        raise Http404
    change(user=request.user, card_id=pk)
    messages.success(request, done)
    return redirect("study:leeches")


@login_required
def optimize(request):
    if request.method == "POST":
        try:
            services.scheduler_optimization_request(user=request.user)
        except AppError as error:
            messages.error(request, str(error))
        return redirect("study:optimize")
    history = optimizing.history_for_user(user=request.user)
    latest = services.scheduler_optimization_latest(user=request.user)
    return render(request, "study/optimize.html", {
        "latest": latest,
        "parameter_rows": list(zip(latest.old_parameters, latest.new_parameters, strict=False)) if latest else [],
        "counted": optimizing.trainable_review_count(history),
        "needed": optimizing.REVIEWS_NEEDED,
    })
