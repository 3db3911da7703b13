from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from questions.languages import content_language
from questions.models import Question
from quizapp.core.errors import AppError, InvalidInput
from quizapp.interviews.services import interview_create_on_questions
from quizapp.study import browsing, custom, optimizing, readiness, scheduling, selectors, services, stats
from quizapp.study.days import study_day_for
from quizapp.study.forms import (
    CardBrowseFilter,
    CramForm,
    FirstDayForm,
    NewCardsTodayForm,
    PlanApplyForm,
    ReviewAheadForm,
    StudySettingsForm,
)
from quizapp.study.models import CustomSession
from quizapp.study.serializers import CustomModeSerializer

# What a visitor tries before signing up: five questions every deep-learning interview asks, each with
# key points, formulas and a demo behind it.
SAMPLE_CARDS = ["vanishing-exploding-gradients-causes-remedies", "softmax-vs-sigmoid", "dropout-inverted-scaling",
                "batchnorm-principle-in-cnns", "residual-connections-gradient-flow"]


def try_cards(request):
    """Five sample cards without an account: reveal and rate them as in a session; nothing is saved,
    and the end of the five offers the account that keeps a schedule."""
    corpus = Question.objects.corpus().active().select_related("topic")
    by_id = corpus.in_bulk(SAMPLE_CARDS, field_name="card_id")
    cards = [by_id[card_id] for card_id in SAMPLE_CARDS if card_id in by_id]
    if len(cards) < len(SAMPLE_CARDS):  # a corpus without them (a test's): its first cards instead
        cards = list(corpus.order_by("topic__position", "position")[:len(SAMPLE_CARDS)])
    return render(request, "study/try.html", {
        "cards": cards, "total": corpus.count(),
        "try_strings": {"position": _("Card %(n)s of %(total)s")}})


@login_required
@require_POST
def first_day(request):
    """The home page's first choice: topics by group and an interview date, then the first cards."""
    form = FirstDayForm(request.POST)
    if form.is_valid():
        try:
            services.study_settings_update(user=request.user, topics=form.chosen_topics(),
                                           fields={"interview_date": form.cleaned_data["interview_date"]})
        except InvalidInput as error:
            error.on_form(form)
        else:
            return redirect("study:session")
    from quizapp.core.views import home_page  # the home page again, with the form's messages

    return home_page(request, first_day_form=form, status=400)


@login_required
def session(request):
    """Today's queue, or a custom study session named in the address (?custom=…), which the page's
    script passes on to the queue, review and undo calls."""
    mode = CustomModeSerializer(data=request.GET)
    if not mode.is_valid():
        errors = [str(message) for messages_ in mode.errors.values() for message in messages_]
        return _custom_page(request, status=400, mode_errors=errors)
    kind, context = mode.validated_data.get("custom"), {}
    if kind == "ahead":
        context = {"custom_query": urlencode({"custom": kind, "days": mode.validated_data["days"]}),
                   "ahead_days": mode.validated_data["days"]}
    elif kind:
        custom_session = custom.custom_session_get(user=request.user, session_id=mode.validated_data["session"])
        if custom_session.kind != kind:
            return _custom_page(request, status=400, mode_errors=[_("This session is not of that kind.")])
        context = {"custom_query": urlencode({"custom": kind, "session": custom_session.pk}),
                   "custom_session": custom_session}
    return render(request, "study/session.html", {"custom_kind": kind, **context})


def _custom_page(request, *, status: int = 200, **shown):
    """The custom study page; `shown` holds a refused form (bound, with its errors) or messages."""
    user = request.user
    study_settings = selectors.study_settings_get(user=user)
    return render(request, "study/custom.html", {
        "new_form": shown.get("new_form") or NewCardsTodayForm(),
        "ahead_form": shown.get("ahead_form") or ReviewAheadForm(),
        "cram_form": shown.get("cram_form") or CramForm(user=user),
        "forgotten_errors": shown.get("forgotten_errors", []), "mode_errors": shown.get("mode_errors", []),
        "new_limit_today": study_settings.new_cards_per_day + custom.new_cards_extra_today(user=user),
        "forgotten_today": len(custom.forgotten_today_ids(
            user=user, day=study_day_for(study_settings=study_settings, now=timezone.now()))),
    }, status=status)


@login_required
def custom_study(request):
    return _custom_page(request)


@login_required
@require_POST
def custom_new_cards(request):
    form = NewCardsTodayForm(request.POST)
    if not form.is_valid():
        return _custom_page(request, status=400, new_form=form)
    custom.new_cards_extend(user=request.user, extra=form.cleaned_data["extra"])
    messages.success(request, _("You can learn %(n)d more new cards today.") % {"n": form.cleaned_data["extra"]})
    return redirect("study:session")


@login_required
@require_POST
def custom_ahead(request):
    form = ReviewAheadForm(request.POST)
    if not form.is_valid():
        return _custom_page(request, status=400, ahead_form=form)
    return redirect(f"{reverse('study:session')}?{urlencode({'custom': 'ahead', 'days': form.cleaned_data['days']})}")


def _start(request, **arguments):
    custom_session = custom.custom_session_start(user=request.user, **arguments)
    query = urlencode({"custom": custom_session.kind, "session": custom_session.pk})
    return redirect(f"{reverse('study:session')}?{query}")


@login_required
@require_POST
def custom_forgotten(request):
    try:
        return _start(request, kind=CustomSession.Kind.FORGOTTEN)
    except AppError as error:
        return _custom_page(request, status=400, forgotten_errors=error.messages())


@login_required
@require_POST
def custom_cram(request):
    form = CramForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            return _start(request, kind=CustomSession.Kind.CRAM, **form.cleaned_data)
        except AppError as error:
            error.on_form(form)
    return _custom_page(request, status=400, cram_form=form)


@login_required
@require_POST
def mock_today(request):
    """The end of a day's study: a three-question mock interview on the corpus cards studied today."""
    questions, filled = custom.mock_questions_today(user=request.user)
    if len(questions) < custom.MOCK_QUESTIONS:
        messages.error(request, _("Study at least three cards of the question bank first."))
        return redirect("study:session")
    interview = interview_create_on_questions(user=request.user, questions=questions, language=content_language())
    if filled:
        messages.info(request, _("You studied fewer than three cards of the question bank today, so the "
                                 "questions include the cards you reviewed most recently before."))
    return redirect("interviews:answer", interview_id=interview.pk)


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
        error.on_form(form)
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


CARDS_PER_PAGE = 50
# the browser's sortable columns: the column's sort key → its first direction when clicked
SORTABLE_COLUMNS = {"due": "due", "stability": "-stability", "difficulty": "-difficulty",
                    "retrievability": "retrievability", "reps": "-reps", "lapses": "-lapses",
                    "last_review": "-last_review"}


def _browse_page(request, query: QueryDict, *, errors: tuple | list = (), status: int = 200):
    """The card browser for `query` (the page's query string): a bad filter lists every card, says
    what is wrong and answers 400."""
    filters = CardBrowseFilter(query or None)
    valid = not filters.is_bound or filters.is_valid()
    if filters.is_bound and not valid:
        status = 400
    card_filter = filters.card_filter() if filters.is_bound and valid else browsing.CardFilter()
    sort = filters.sort_key() if filters.is_bound and valid else browsing.DEFAULT_SORT
    study_settings = selectors.study_settings_get(user=request.user)
    now = timezone.now()
    today = study_day_for(study_settings=study_settings, now=now)
    scheduler = scheduling.scheduler_for(study_settings)
    cards = browsing.cards_matching(user=request.user, card_filter=card_filter, day=today.day)
    page = Paginator(browsing.cards_sorted(cards, sort=sort, scheduler=scheduler, now=now),
                     CARDS_PER_PAGE).get_page(query.get("page"))
    prefetch_related_objects(page.object_list, "logs")
    kept = {name: query[name] for name in ("q", "topic", "state", "sort") if query.get(name)} if valid else {}
    columns = {}
    for key, first in SORTABLE_COLUMNS.items():
        now_sorted = sort.lstrip("-") == key
        direction = ("-" + key if not sort.startswith("-") else key) if now_sorted else first
        columns[key] = {"url": "?" + urlencode({**kept, "sort": direction}),
                        "aria_sort": ("descending" if sort.startswith("-") else "ascending") if now_sorted else ""}
    filtered = any(kept.get(name) for name in ("q", "topic", "state"))
    return render(request, "study/browse.html", {
        "filters": filters if filters.is_bound else CardBrowseFilter(), "filtered": filtered,
        "page": page, "rows": [(card, selectors.retrievability_with(scheduler, card=card, now=now))
                               for card in page.object_list],
        "today": today.day, "zone": study_settings.timezone, "columns": columns,
        "query": urlencode(kept), "hidden_filter": kept, "errors": errors, "max_days": browsing.MAX_SHIFT_DAYS},
                  status=status)


@login_required
def browse(request):
    return _browse_page(request, request.GET)


def _done_message(outcome: browsing.BulkOutcome) -> str:
    words = {
        "suspend": ngettext("Suspended %(changed)d of the %(selected)d selected card.",
                            "Suspended %(changed)d of the %(selected)d selected cards.", outcome.selected),
        "unsuspend": ngettext("Unsuspended %(changed)d of the %(selected)d selected card.",
                              "Unsuspended %(changed)d of the %(selected)d selected cards.", outcome.selected),
        "bury": ngettext("Buried %(changed)d of the %(selected)d selected card until tomorrow.",
                         "Buried %(changed)d of the %(selected)d selected cards until tomorrow.", outcome.selected),
        "unbury": ngettext("Unburied %(changed)d of the %(selected)d selected card.",
                           "Unburied %(changed)d of the %(selected)d selected cards.", outcome.selected),
        "reset": ngettext("Reset %(changed)d of the %(selected)d selected card to new; its review history is kept.",
                          "Reset %(changed)d of the %(selected)d selected cards to new; their review history is kept.",
                          outcome.selected),
        "postpone": ngettext("Postponed %(changed)d of the %(selected)d selected card by %(days)d days "
                             "(only review cards due today move).",
                             "Postponed %(changed)d of the %(selected)d selected cards by %(days)d days "
                             "(only review cards due today move).", outcome.selected),
        "advance": ngettext("Advanced %(changed)d of the %(selected)d selected card by %(days)d days "
                            "(only review cards not yet due move).",
                            "Advanced %(changed)d of the %(selected)d selected cards by %(days)d days "
                            "(only review cards not yet due move).", outcome.selected),
    }[outcome.action] % {"changed": outcome.changed, "selected": outcome.selected, "days": outcome.days or 0}
    if outcome.retrievability_before is not None:
        words += " " + _("Mean recall chance at the due date: %(before)s → %(after)s.") % {
            "before": f"{outcome.retrievability_before:.0%}", "after": f"{outcome.retrievability_after:.0%}"}
    return words


@login_required
@require_POST
def browse_bulk(request):
    """A bulk action from the browser's form: on the ticked cards, or (scope "matching") on every card
    matching the filter the page showed, whose count the learner confirmed (`expected`)."""
    back = QueryDict(request.POST.get("back", ""))
    matching = request.POST.get("scope") == "matching"
    card_filter = None
    if matching:
        filters = CardBrowseFilter(request.POST)
        if not filters.is_valid():
            return _browse_page(request, back, errors=[str(error) for errors in filters.errors.values()
                                                      for error in errors], status=400)
        card_filter = filters.card_filter()
    try:
        outcome = browsing.cards_bulk_change(
            user=request.user, action=request.POST.get("action", ""), card_ids=request.POST.getlist("card"),
            card_filter=card_filter, expected=request.POST.get("expected") if matching else None,
            days=request.POST.get("days"), limit=request.POST.get("limit"))
    except AppError as error:
        return _browse_page(request, back, errors=error.messages(), status=error.status)
    messages.success(request, _done_message(outcome))
    return redirect(f"{reverse('study:browse')}?{back.urlencode()}" if back else reverse("study:browse"))
