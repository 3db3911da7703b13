"""Pages for a learner's own cards: the list with the import form, add, edit, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy
from django.views.decorators.http import require_GET, require_POST

from questions.languages import content_language
from questions.models import Question, Topic
from questions.selectors import question_get
from quizapp.core.errors import AppError
from quizapp.own_cards import imports, selectors, services
from quizapp.own_cards.forms import ImportConfirmForm, ImportForm, OwnCardFilter, OwnCardForm
from quizapp.own_cards.images import card_upload_too_large, own_image_response
from quizapp.own_cards.imports.pending import pending_import_keep, pending_import_take
from quizapp.own_cards.imports.text import cards_as_csv
from quizapp.own_cards.services import OwnCardText
from quizapp.study.models import ReviewLog
from quizapp.study.selectors import topics_left_out_of_study

CARDS_PER_PAGE = 50
MAX_PREVIEW_NAMES = 500  # decks and tags a confirmed preview may name
SHOWN_BEFORE_DELETING = 20  # questions named on the page that asks before deleting many


def _own_card(request, card_id: str) -> Question:
    """The learner's own card; anyone else's, or a corpus card, is not found."""
    return get_object_or_404(Question.objects.select_related("topic"), card_id=card_id, owner=request.user)


def _list_page(request, *, import_form: ImportForm, problems: list[str] = (), status: int = 200):
    """The list, filtered by the search form when it is valid (a bad filter lists every card and says
    what is wrong), a page at a time."""
    # Its own ids: the import form beside it has a topic field too.
    filters = OwnCardFilter(request.GET if request.method == "GET" else None, auto_id="filter-%s")
    valid = filters.is_bound and filters.is_valid()
    criteria = _criteria(filters) if valid else {}
    cards = selectors.own_cards_matching(owner=request.user, **criteria)
    filtered = any(criteria.values())
    kept = {name: value for name in ("q", "topic") if (value := request.GET.get(name))} if filtered else {}
    return render(request, "own_cards/list.html", {
        "page": Paginator(cards, CARDS_PER_PAGE).get_page(request.GET.get("page")), "filters": filters,
        "filtered": filtered, "total": request.user.own_questions.count(),
        "filter_query": urlencode(kept),  # for the pages' links
        "import_form": import_form, "problems": problems, "limit": services.MAX_OWN_CARDS,
        "language_next": reverse("questions:own")},  # a failed import is a POST: switch language to the list
        status=400 if filters.is_bound and not valid else status)


def _criteria(filters: OwnCardFilter) -> dict:
    return {"query": filters.cleaned_data["q"], "topic": filters.cleaned_data["topic"]}


def _last_topic(request) -> dict:
    """The topic of the learner's latest card, as the form's first choice: cards come in batches."""
    latest = request.user.own_questions.order_by("-id").values_list("topic__slug", flat=True).first()
    return {"topic": latest} if latest else {}


@login_required
def own_card_list(request):
    return _list_page(request, import_form=ImportForm(initial=_last_topic(request)))


def _refused_unread(request, *, problem: str, card: Question | None, initial: dict):
    """The form again, as it was, above it why the upload was refused without being read."""
    form = OwnCardForm(initial=initial, owner=request.user, card=card)
    return render(request, "own_cards/form.html", {"form": form, "card": card, "problems": [problem]}, status=413)


@login_required
def own_card_new(request):
    if request.method == "POST" and (problem := card_upload_too_large(request)):
        return _refused_unread(request, problem=problem, card=None, initial=_last_topic(request))
    # "Save and add another" comes back with the topic and difficulty just used; ?copy=<card> starts
    # from a card the learner can see (a leech to rewrite in their own words).
    form = OwnCardForm(request.POST or None, request.FILES or None, initial={**_last_topic(request), **{
        name: request.GET[name] for name in ("topic", "difficulty") if name in request.GET},
        **_copied(request)}, owner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            card = services.own_card_create(owner=request.user, text=OwnCardText.from_form(form.cleaned_data),
                                            images=form.cleaned_data["images"])
        except AppError as error:
            error.on_form(form)
        else:
            messages.success(request, _("Card added. It comes first among your new cards in Study."))
            _warn_if_left_out_of_study(request, [card])
            if "add_another" in request.POST:
                same_kind = urlencode({"topic": card.topic.slug, "difficulty": card.difficulty})
                return redirect(f"{reverse('questions:own-new')}?{same_kind}")
            return redirect("questions:detail", card.card_id)
    return render(request, "own_cards/form.html", {"form": form, "card": None},
                  status=400 if form.errors else 200)


@login_required
def own_card_edit(request, card_id: str):
    card = _own_card(request, card_id)
    initial = {"question": card.cloze_text or card.question_en, "answer": card.answer_en, "topic": card.topic.slug,
               "difficulty": card.difficulty}
    if request.method == "POST" and (problem := card_upload_too_large(request)):
        return _refused_unread(request, problem=problem, card=card, initial=initial)
    form = OwnCardForm(request.POST or None, request.FILES or None, initial=initial, owner=request.user, card=card)
    from_study = request.GET.get("from") == "study"  # edited mid-session (the e key): back to studying
    if request.method == "POST" and form.is_valid():
        try:
            card = services.own_card_update(card=card, text=OwnCardText.from_form(form.cleaned_data),
                                            images=form.cleaned_data["images"],
                                            removed_images=set(form.cleaned_data.get("remove_images", [])))
        except AppError as error:
            error.on_form(form)
            return render(request, "own_cards/form.html", {"form": form, "card": card, "from_study": from_study},
                          status=400)
        messages.success(request, _("Card saved. Your study progress on it is kept."))
        _warn_if_left_out_of_study(request, [card])
        return redirect("study:session") if from_study else redirect("questions:detail", card.card_id)
    return render(request, "own_cards/form.html", {"form": form, "card": card, "from_study": from_study},
                  status=400 if form.errors else 200)


def _copied(request) -> dict:
    """The form's start from the card named by ?copy=, in the page's language; nothing for a card
    the learner cannot see."""
    card_id = request.GET.get("copy")
    if not card_id:
        return {}
    try:
        card = question_get(card_id=card_id, viewer=request.user)
    except Question.DoesNotExist:
        return {}
    language = content_language()
    return {"question": card.cloze_text or getattr(card, f"question_{language}"),
            "answer": getattr(card, f"answer_{language}"),
            "topic": card.topic.slug, "difficulty": card.difficulty}


@require_GET
def own_card_image(request, name: str):
    """An image of the learner's own cards, to them alone: anyone else, a visitor too, is answered 404 (an
    <img> follows no login redirect)."""
    if not request.user.is_authenticated:
        raise Http404
    return own_image_response(owner=request.user, name=name)


@login_required
def own_card_delete(request, card_id: str):
    card = _own_card(request, card_id)
    if request.method == "POST":
        services.own_card_delete(card=card)
        messages.success(request, _("The card and its study history are deleted."))
        return redirect("questions:own")
    reviews = ReviewLog.objects.filter(user=request.user, card__question=card).count()
    return render(request, "own_cards/delete.html", {"card": card, "reviews": reviews})


@login_required
@require_POST
def own_cards_delete_many(request):
    """Two steps, both POSTs from a page: the list sends the cards chosen (ticked, or every card its
    search shows), this page names them with their study history, and its "confirm" deletes them."""
    matching = "all_matching" in request.POST
    if matching:
        filters = OwnCardFilter(request.POST)
        if not filters.is_valid():
            return redirect("questions:own")
        cards = selectors.own_cards_matching(owner=request.user, **_criteria(filters))
    else:
        cards = request.user.own_questions.filter(card_id__in=request.POST.getlist("card")).order_by("-id")
    if "confirm" in request.POST:
        deleted = services.own_cards_delete(owner=request.user, cards=cards)
        messages.success(request, ngettext("Deleted %(count)d card and its study history.",
                                           "Deleted %(count)d cards and their study history.", deleted)
                         % {"count": deleted})
        return redirect("questions:own")
    count = cards.count()
    if not count:
        messages.info(request, _("Tick the cards to delete first."))
        return redirect("questions:own")
    reviews = ReviewLog.objects.filter(user=request.user, card__question__in=cards).count()
    return render(request, "own_cards/delete_many.html", {
        "cards": cards[:SHOWN_BEFORE_DELETING], "count": count, "more": max(0, count - SHOWN_BEFORE_DELETING),
        "reviews": reviews, "matching": matching,
        "chosen": [] if matching else list(cards.values_list("card_id", flat=True)),
        "q": request.POST.get("q", ""), "topic": request.POST.get("topic", "")})


@login_required
@require_POST
def own_cards_import(request):
    """A text file imports at once; an Anki package first shows its preview (what the import would do and
    the topic each deck or tag picks), kept until the learner confirms it or imports another file."""
    if imports.upload_too_large(request):  # refused before Django reads the body to disk
        return _list_page(request, import_form=ImportForm(), problems=imports.too_large(_("the file")).problems,
                          status=400)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, import_form=form, status=400)
    options = {name: form.cleaned_data[name] for name in ("update_existing", "with_history", "take_fsrs_parameters")}
    upload = form.cleaned_data["file"]
    content = upload.read(imports.MAX_IMPORT_BYTES + 1)
    try:
        if imports.is_package(content):
            report = imports.own_cards_import_preview(owner=request.user, content=content, file_name=upload.name,
                                                      default_topic=form.cleaned_data["topic"], **options)
            return _preview_page(request, report=report, form=form, content=content, options=options)
        report = imports.own_cards_import(owner=request.user, content=content, file_name=upload.name,
                                          default_topic=form.cleaned_data["topic"], **options)
    except imports.ImportRefused as refused:
        return _list_page(request, import_form=form, problems=refused.problems, status=400)
    return _imported(request, report)


def _imported(request, report: imports.ImportReport):
    messages.success(request, _import_summary(report))
    _warn_if_left_out_of_study(request, report.created)
    return redirect(reverse("questions:own"))


def _preview_page(request, *, report: imports.ImportReport, form: ImportForm, content: bytes, options: dict):
    token = pending_import_keep(owner=request.user, content=content)
    names = [(name, topic.slug) for name, topic in sorted(report.topics_from_anki.items())]
    names += [(deck, "") for deck in report.decks_without_topic]
    return render(request, "own_cards/import_preview.html", {
        "report": report, "names": names, "topics": Topic.objects.all(), "token": token,
        "file_name": form.cleaned_data["file"].name, "default_topic": form.cleaned_data["topic"], **options})


@login_required
@require_POST
def own_cards_import_confirm(request):
    """The previewed import, with the topics the learner confirmed or changed for its decks and tags."""
    form = ImportConfirmForm(request.POST)
    content = pending_import_take(owner=request.user, token=form.cleaned_data["token"]) if form.is_valid() else None
    if content is None:
        messages.error(request, _("That preview is gone (imported already, or replaced by a newer one): choose "
                                  "the file again."))
        return redirect(reverse("questions:own"))
    default_topic = form.cleaned_data["topic"]
    chosen = _chosen_topics(request, default_topic=default_topic)
    try:
        report = imports.own_cards_import(
            owner=request.user, content=content, file_name=form.cleaned_data["file_name"], default_topic=default_topic,
            chosen_topics=chosen, **{name: form.cleaned_data[name] for name in (
                "update_existing", "with_history", "take_fsrs_parameters")})
    except imports.ImportRefused as refused:
        return _list_page(request, import_form=ImportForm(), problems=refused.problems, status=400)
    return _imported(request, report)


def _chosen_topics(request, *, default_topic: Topic) -> dict[str, Topic]:
    """Each deck or tag of the preview with the topic picked for it; none picked is the form's topic."""
    by_slug = {topic.slug: topic for topic in Topic.objects.all()}
    pairs = zip(request.POST.getlist("deck_name")[:MAX_PREVIEW_NAMES], request.POST.getlist("deck_topic"),
                strict=False)
    return {name: by_slug.get(slug, default_topic) for name, slug in pairs}


# A file to fill in, in the page's language.
_TEMPLATE = {
    "en": "question,answer,topic,difficulty\n"
          "What does a 1×1 convolution do?,\"Mixes channels at each pixel: $y = Wx$.\",cnn,1\n"
          "Why warm up the learning rate?,\"Adam's early second-moment estimates are noisy, so the first steps "
          "can be too large.\",optimization,2\n",
    "zh": "问题,答案,主题,难度\n"
          "1×1 卷积有什么作用？,在每个像素上混合通道：$y = Wx$。,cnn,1\n"
          "为什么要做学习率预热？,Adam 初期的二阶矩估计不准，最初几步的步长可能过大。,optimization,2\n",
}


@login_required
def own_cards_template(request):
    return _csv_download(_TEMPLATE[content_language()], file_name="my-cards.csv")


@login_required
def own_cards_export(request):
    cards = request.user.own_questions.select_related("topic").order_by("id")
    return _csv_download(cards_as_csv(cards), file_name=f"my-cards-{timezone.localdate():%Y-%m-%d}.csv")


def _csv_download(text: str, *, file_name: str) -> HttpResponse:
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")  # the BOM: Excel reads UTF-8
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _warn_if_left_out_of_study(request, cards: list[Question]) -> None:
    left_out = topics_left_out_of_study(user=request.user, topics={card.topic for card in cards})
    if left_out:
        messages.warning(request, _("Your study settings leave out %(topics)s: cards there wait until you add "
                                    "the topic in Study → Settings.") % {
            "topics": _list([topic.title for topic in left_out])})


# Rows that added no card, by what became of them and by what the numbers count.
_NOT_ADDED = {
    ("updated", "line"): ngettext_lazy("Updated %(count)d card you already had (line %(numbers)s).",
                                       "Updated %(count)d cards you already had (lines %(numbers)s).", "count"),
    ("updated", "note"): ngettext_lazy("Updated %(count)d card you already had (note %(numbers)s).",
                                       "Updated %(count)d cards you already had (notes %(numbers)s).", "count"),
    ("skipped", "line"): ngettext_lazy("Skipped %(count)d row you already have (line %(numbers)s).",
                                       "Skipped %(count)d rows you already have (lines %(numbers)s).", "count"),
    ("skipped", "note"): ngettext_lazy("Skipped %(count)d note you already have (note %(numbers)s).",
                                       "Skipped %(count)d notes you already have (notes %(numbers)s).", "count"),
    ("repeated", "line"): ngettext_lazy(
        "Skipped %(count)d row repeating an earlier row's question (line %(numbers)s).",
        "Skipped %(count)d rows repeating an earlier row's question (lines %(numbers)s).", "count"),
    ("repeated", "note"): ngettext_lazy(
        "Skipped %(count)d note repeating an earlier note's question (note %(numbers)s).",
        "Skipped %(count)d notes repeating an earlier note's question (notes %(numbers)s).", "count"),
}


def _import_summary(report: imports.ImportReport) -> str:
    parts = [ngettext("Imported %(count)d card.", "Imported %(count)d cards.", len(report.created))
             % {"count": len(report.created)}]
    for kind in ("updated", "skipped", "repeated"):
        numbers = getattr(report, kind)
        if numbers:
            parts.append(_NOT_ADDED[kind, report.unit] % {"count": len(numbers), "numbers": _number_list(numbers)})
    if report.differing:
        parts.append(ngettext("%(count)d of them differs from your card: import again with “Update” ticked to "
                              "apply it.", "%(count)d of them differ from your cards: import again with “Update” "
                              "ticked to apply them.", report.differing) % {"count": report.differing})
    if report.ignored_columns:
        parts.append(_("Columns ignored: %(columns)s.") % {"columns": _list(report.ignored_columns)})
    parts += _anki_summary(report)
    return ("" if content_language() == "zh" else " ").join(parts)  # Chinese runs sentences together


def _anki_summary(report: imports.ImportReport) -> list[str]:
    parts = []
    if report.recognised:
        parts.append(ngettext("%(count)d note is a card of this site: its history goes to that card, no copy made.",
                              "%(count)d notes are cards of this site: their history goes to those cards, no copies "
                              "made.", len(report.recognised)) % {"count": len(report.recognised)})
    if report.topics_from_anki:
        parts.append(_("Topics from Anki's decks and tags: %(pairs)s.") % {"pairs": _list(
            [f"{name} → {topic.title}" for name, topic in sorted(report.topics_from_anki.items())])})
    if report.topics_kept:
        parts.append(ngettext("%(count)d updated card kept its topic though its deck names another (note "
                              "%(numbers)s).", "%(count)d updated cards kept their topics though their decks name "
                              "others (notes %(numbers)s).", len(report.topics_kept)) % {
            "count": len(report.topics_kept), "numbers": _number_list(report.topics_kept)})
    if report.reviews_imported:
        parts.append(ngettext("Added %(count)d review from Anki to your history.",
                              "Added %(count)d reviews from Anki to your history.", report.reviews_imported)
                     % {"count": report.reviews_imported})
    if report.images:
        parts.append(ngettext("Brought %(count)d image from Anki.", "Brought %(count)d images from Anki.",
                              report.images) % {"count": report.images})
    if report.images_left_out:
        parts.append(ngettext("%(count)d note shows an image that was not imported: %(problems)s",
                              "%(count)d notes show images that were not imported: %(problems)s",
                              len(report.images_left_out)) % {
            "count": len(report.images_left_out), "problems": _problem_list(report.image_problems)})
    if report.fsrs_taken:
        parts.append(_("Your study now uses the deck's FSRS parameters and desired retention."))
    return parts


def _problem_list(problems: list[str], shown: int = 10) -> str:
    return " ".join([*problems[:shown], *(["…"] if len(problems) > shown else [])])


def _number_list(numbers: list[int], shown: int = 10) -> str:
    return _list([*map(str, numbers[:shown]), *(["…"] if len(numbers) > shown else [])])


def _list(items: list[str]) -> str:
    return ("、" if content_language() == "zh" else ", ").join(items)
