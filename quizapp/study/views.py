from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quizapp.core.queueing import QueueUnavailable
from quizapp.study import optimizing, selectors, services, stats
from quizapp.study.days import study_day_for
from quizapp.study.forms import StudySettingsForm
from quizapp.study.models import CardState


def _session_strings() -> dict[str, str]:
    """Words study.js shows, translated here so the page speaks the learner's language."""
    return {
        "new": _("New"), "learning": _("Learning"), "review": _("Review"), "relearning": _("Relearning"),
        "minutes": _("%(n)s min"), "hours": _("%(n)s h"), "days": _("%(n)s d"), "months": _("%(n)s mo"),
        "years": _("%(n)s y"), "retrievability": _("Recall chance now: %(n)s"), "leech": _("Leech"),
        "undone": _("Rating undone."), "nothing_to_undo": _("Nothing to undo."),
        "buried": _("Buried until tomorrow. Press u to undo."), "suspended": _("Suspended. Press u to undo."),
        "unburied": _("Unburied: the card is back in today's queue."),
        "unsuspended": _("Unsuspended: the card is back in your reviews."),
        "became_leech": _("This card is now a leech (too many lapses) and was suspended."),
        "stale": _("This card was rated in another tab; here is the next one."),
        "network": _("Could not reach the server; please try again."),
    }


@login_required
def session(request):
    return render(request, "study/session.html", {"study_strings": _session_strings()})


def _chart_labels() -> dict[str, str]:
    return {
        "new": _("New"), "learning": _("Learning"), "review": _("Review"), "relearning": _("Relearning"),
        "suspended": _("Suspended"), "leeches": _("Leeches"), "cards": _("Cards"), "reviews": _("Reviews"),
        "minutes": _("Minutes"), "retention": _("True retention"), "days": _("%(n)s days"),
        "recall": _("Recall chance"), "reviews_on": _("%(n)s reviews on %(day)s"),
    }


@login_required
def statistics(request):
    return render(request, "study/stats.html", {"stats": stats.study_stats(user=request.user, now=timezone.now()),
                                                "chart_labels": _chart_labels()})


@login_required
def settings_page(request):
    current = services.study_settings_get(user=request.user)
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
    today = study_day_for(study_settings=services.study_settings_get(user=request.user), now=timezone.now()).day
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
    try:
        change(user=request.user, card_id=pk)
    except CardState.DoesNotExist:
        raise Http404 from None
    messages.success(request, done)
    return redirect("study:leeches")


@login_required
def optimize(request):
    if request.method == "POST":
        try:
            services.scheduler_optimization_request(user=request.user)
        except QueueUnavailable as error:
            messages.error(request, str(error))
        return redirect("study:optimize")
    history = optimizing.history_for_user(user=request.user)
    latest = selectors.optimization_latest(user=request.user)
    return render(request, "study/optimize.html", {
        "latest": latest,
        "parameter_rows": list(zip(latest.old_parameters, latest.new_parameters, strict=False)) if latest else [],
        "counted": optimizing.trainable_review_count(history),
        "needed": optimizing.REVIEWS_NEEDED,
    })
