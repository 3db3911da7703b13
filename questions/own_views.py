"""Pages for a learner's own cards: the list with the import form, add, edit, delete."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from questions import own_cards
from questions.models import Question, Topic
from questions.own_cards import OwnCardForm, OwnCardText


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.csv, .tsv or .txt)"))
    topic = forms.ModelChoiceField(queryset=Topic.objects.order_by("position", "slug"), to_field_name="slug",
                                   label=gettext_lazy("Topic for rows that name none"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].label_from_instance = lambda topic: topic.title


def _own_card(request, card_id: str) -> Question:
    """The learner's own card; anyone else's, or a corpus card, is not found."""
    return get_object_or_404(Question.objects.select_related("topic"), card_id=card_id, owner=request.user)


def _list_page(request, *, import_form: ImportForm, problems: list[str] = (), status: int = 200):
    cards = request.user.own_questions.select_related("topic").order_by("-id")
    return render(request, "questions/own_cards.html", {
        "cards": cards, "import_form": import_form, "problems": problems, "limit": own_cards.MAX_OWN_CARDS},
        status=status)


@login_required
def own_card_list(request):
    return _list_page(request, import_form=ImportForm())


@login_required
def own_card_new(request):
    form = OwnCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = own_cards.own_card_create(owner=request.user, text=OwnCardText.from_form(form.cleaned_data))
        except own_cards.TooManyOwnCards as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Card added. It joins your new cards in Study."))
            if "add_another" in request.POST:
                return redirect("questions:own-new")
            return redirect("questions:detail", card.card_id)
    return render(request, "questions/own_card_form.html", {"form": form, "card": None},
                  status=400 if form.errors else 200)


@login_required
def own_card_edit(request, card_id: str):
    card = _own_card(request, card_id)
    initial = {"question": card.question_en, "answer": card.answer_en, "topic": card.topic.slug,
               "difficulty": card.difficulty}
    form = OwnCardForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        own_cards.own_card_update(card=card, text=OwnCardText.from_form(form.cleaned_data))
        messages.success(request, _("Card saved. Your study progress on it is kept."))
        return redirect("questions:detail", card.card_id)
    return render(request, "questions/own_card_form.html", {"form": form, "card": card},
                  status=400 if form.errors else 200)


@login_required
def own_card_delete(request, card_id: str):
    card = _own_card(request, card_id)
    if request.method == "POST":
        own_cards.own_card_delete(card=card)
        messages.success(request, _("Card deleted, with its study history."))
        return redirect("questions:own")
    reviews = card.card_states.filter(user=request.user).values_list("reps", flat=True).first() or 0
    return render(request, "questions/own_card_delete.html", {"card": card, "reviews": reviews})


@login_required
@require_POST
def own_cards_import(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, import_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        report = own_cards.own_cards_import(
            owner=request.user, content=upload.read(own_cards.MAX_IMPORT_BYTES + 1), file_name=upload.name,
            default_topic=form.cleaned_data["topic"])
    except own_cards.ImportRefused as refused:
        return _list_page(request, import_form=form, problems=refused.problems, status=400)
    messages.success(request, _import_summary(report))
    return redirect(reverse("questions:own"))


def _import_summary(report: own_cards.ImportReport) -> str:
    parts = [ngettext("Imported %(count)d card.", "Imported %(count)d cards.", len(report.created))
             % {"count": len(report.created)}]
    if report.duplicate_lines:
        parts.append(ngettext(
            "Skipped %(count)d row you already have (line %(lines)s).",
            "Skipped %(count)d rows you already have (lines %(lines)s).", len(report.duplicate_lines)) % {
            "count": len(report.duplicate_lines), "lines": _line_list(report.duplicate_lines)})
    if report.ignored_columns:
        parts.append(_("Columns not kept: %(columns)s.") % {"columns": ", ".join(report.ignored_columns)})
    return " ".join(parts)


def _line_list(lines: list[int], shown: int = 10) -> str:
    return ", ".join(map(str, lines[:shown])) + (", …" if len(lines) > shown else "")
