from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from questions.models import Question
from quizapp.core.errors import AppError, InvalidInput
from quizapp.study import optimizing, readiness, selectors, services, stats
from quizapp.study.days import study_day_for
from quizapp.study.forms import PlanApplyForm, StudySettingsForm


# What a visitor tries before signing up: five questions every deep-learning interview asks, each with
# key points, formulas and a demo behind it.
SAMPLE_CARDS = ["vanishing-exploding-gradients-causes-remedies", "softmax-vs-sigmoid", "dropout-inverted-scaling",
                "batchnorm-principle-in-cnns", "residual-connections-gradient-flow"]


def try_cards(request):
    """Five sample cards without an account: reveal and rate them as in a session; nothing is saved,
    and the end of the five offers the account that keeps a schedule."""
    by_id = Question.objects.corpus().active().select_related("topic").in_bulk(SAMPLE_CARDS, field_name="card_id")
    cards = [by_id[card_id] for card_id in SAMPLE_CARDS if card_id in by_id]
    if len(cards) < len(SAMPLE_CARDS):  # a corpus without them (a test's): its first cards instead
        cards = list(Question.objects.corpus().active().select_related("topic").order_by("topic__position",
                                                                                          "position")[:5])
    return render(request, "study/try.html", {
        "cards": cards, "total": Question.objects.corpus().active().count(),
        "try_strings": {"position": _("Card %(n)s of %(total)s")}})


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
        return _settings_page(request, StudySettingsForm(instance=current))
    form = StudySettingsForm(request.POST, instance=current)
    if not form.is_valid():
        # The same answer the API gives for bad values: 400, with a message next to each field.
        return _settings_page(request, form, status=400)
    fields = {name: value for name, value in form.cleaned_data.items() if name != "topics"}
    try:
        services.study_settings_update(user=request.user, fields=fields, topics=form.cleaned_data["topics"])
    except InvalidInput as error:  # rules that need the learner's day: an interview date already past
        for name, field_messages in error.fields.items():
            form.add_error(name, field_messages)
        return _settings_page(request, form, status=400)
    messages.success(request, _("Settings saved."))
    return redirect("study:settings")


def _settings_page(request, form, *, status: int = 200):
    """The form, and beside the retention field the optimal one from the learner's latest fit, or how many
    more reviews the fit needs."""
    optimal = selectors.optimal_retention_latest(user=request.user)
    counted = None if optimal else optimizing.trainable_review_count(optimizing.history_for_user(user=request.user))
    return render(request, "study/settings.html", {
        "form": form, "optimal": optimal, "counted": counted, "needed": optimizing.REVIEWS_NEEDED,
        "missing": max(0, optimizing.REVIEWS_NEEDED - (counted or 0)),
        "desired_retention": selectors.study_settings_get(user=request.user).desired_retention}, status=status)


@login_required
@require_POST
def use_optimal_retention(request):
    try:
        study_settings = services.study_settings_use_optimal_retention(user=request.user)
    except AppError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Desired retention set to %(value)s.") % {
            "value": f"{study_settings.desired_retention:.2f}"})
    return redirect("study:optimize" if request.POST.get("next") == "optimize" else "study:settings")


@login_required
def plan(request):
    """The plan to see every card a week before the interview, and readiness per topic; POST applies a
    number of new cards a day (the plan's, or the learner's own)."""
    form = PlanApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.study_settings_update(user=request.user,
                                       fields={"new_cards_per_day": form.cleaned_data["new_cards_per_day"]})
        messages.success(request, _("New cards per day set to %(n)s.") % {"n": form.cleaned_data["new_cards_per_day"]})
        return redirect("study:plan")
    study_settings = selectors.study_settings_get(user=request.user)
    state = readiness.readiness_for(user=request.user, study_settings=study_settings, now=timezone.now())
    if request.method != "POST" and state.plan and state.plan.per_day is not None:
        form = PlanApplyForm(initial={"new_cards_per_day": state.plan.per_day})
    return render(request, "study/plan.html", {
        "readiness": state, "plan": state.plan, "form": form, "chart": readiness.chart_data(state),
        "any_seen": state.seen > 0}, status=400 if request.method == "POST" else 200)


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
    counted = optimizing.trainable_review_count(optimizing.history_for_user(user=request.user))
    latest = services.scheduler_optimization_latest(user=request.user)
    return render(request, "study/optimize.html", {
        "latest": latest, "optimal": selectors.optimal_retention_latest(user=request.user),
        "desired_retention": selectors.study_settings_get(user=request.user).desired_retention,
        "parameter_rows": list(zip(latest.old_parameters, latest.new_parameters, strict=False)) if latest else [],
        "counted": counted, "needed": optimizing.REVIEWS_NEEDED, "missing": max(0, optimizing.REVIEWS_NEEDED - counted),
    })
