"""The rules for one own card, kept once: the web form states them, the API's serializer states the same
limits with these constants and cleans with these functions, and every imported row passes the form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from questions.corpus import unbalanced_math
from questions.forms import TopicField
from questions.images import MAX_IMAGES_PER_CARD, image_names
from questions.models import Question
from quizapp.own_cards.cloze import has_cloze
from quizapp.own_cards.images import ImageFile, image_files_problems
from quizapp.own_cards.selectors import own_question_taken

MAX_QUESTION_LENGTH = 2000
MAX_ANSWER_LENGTH = 20000


def one_newline(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF, spreadsheets save LF: one kind, so that the
    same text compares equal (an import with Update must not count an unchanged card as changed)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cleaned_question(question: str, *, owner=None, card: Question | None = None) -> str:
    """The question as it is kept. With an owner, a question another of their cards (not `card`) asks
    already is refused: the import skips such rows instead, so it gives none."""
    question = one_newline(question).strip()
    if owner is not None and own_question_taken(owner=owner, question=question, card=card):
        raise forms.ValidationError(_("You already have a card with this question."))
    return question


def cleaned_answer(answer: str) -> str:
    """The answer as it is kept; refused when KaTeX could not tell where a formula ends."""
    answer = one_newline(answer).strip()
    problem = unbalanced_math(answer)
    if problem:
        raise forms.ValidationError(_("Formulas: %(problem)s.") % {"problem": _(problem)})
    return answer


def read_upload(upload) -> ImageFile:
    """An uploaded image, read no further than one byte past the size limit (enough to refuse it)."""
    return ImageFile(file_name=upload.name, content=upload.read(settings.OWN_CARD_IMAGE_MAX_BYTES + 1))


def cleaned_images(uploads, *, answer: str) -> list[ImageFile]:
    """The uploaded images, refused (each by its file name) when one is no image or too large, or when the
    card would show more than MAX_IMAGES_PER_CARD."""
    files = [read_upload(upload) for upload in uploads]
    problems = image_files_problems(files)
    if problems:
        raise forms.ValidationError(problems)
    if len(files) + len(image_names(answer)) > MAX_IMAGES_PER_CARD:
        raise forms.ValidationError(_("A card shows at most %(limit)d images.") % {"limit": MAX_IMAGES_PER_CARD})
    return files


class _MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files from one file input (Django's documented way to take them)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput(attrs={
            "multiple": True, "accept": "image/png,image/jpeg,image/gif,image/webp"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleImageField, self).clean(item, initial) for item in items]


class OwnCardForm(forms.Form):
    question = forms.CharField(max_length=MAX_QUESTION_LENGTH,
                               widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
                               label=gettext_lazy("Question"),
                               help_text=gettext_lazy("Plain text; a formula between $…$. A blank to fill: "
                                                      "{{c1::answer}} or {{c1::answer::hint}}, one card per "
                                                      "number (c1, c2…)."))
    answer = forms.CharField(max_length=MAX_ANSWER_LENGTH, widget=forms.Textarea(attrs={"rows": 12}),
                             label=gettext_lazy("Answer"), required=False,
                             help_text=gettext_lazy("Markdown; formulas between $…$ or $$…$$. With blanks in "
                                                    "the question: optional, shown below the filled text."))
    topic = TopicField(label=gettext_lazy("Topic"))
    difficulty = forms.TypedChoiceField(coerce=int, initial=Question.Difficulty.STANDARD,
                                        label=gettext_lazy("Difficulty"),
                                        choices=[(1, gettext_lazy("1 · basic")), (2, gettext_lazy("2 · standard")),
                                                 (3, gettext_lazy("3 · hard"))],
                                        error_messages={"invalid_choice": gettext_lazy(
                                            "1, 2 or 3 (basic, standard, hard), not %(value)s.")})
    images = MultipleImageField(required=False, label=gettext_lazy("Images"), help_text=gettext_lazy(
        "PNG, JPEG, GIF or WebP. Each is added at the end of the answer as ![name](file.png): move that line "
        "where the image belongs."))

    def __init__(self, *args, owner=None, card: Question | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner, self.card = owner, card
        shown = image_names(card.answer_en) if card is not None else []
        if shown:
            self.fields["remove_images"] = forms.MultipleChoiceField(
                required=False, choices=[(name, name) for name in shown], widget=forms.CheckboxSelectMultiple,
                label=gettext_lazy("Remove images"))

    def clean_question(self) -> str:
        return cleaned_question(self.cleaned_data["question"], owner=self.owner, card=self.card)

    def clean_answer(self) -> str:
        return cleaned_answer(self.cleaned_data["answer"])

    def clean(self):
        cleaned = super().clean()
        # An image alone may answer the question.
        if (not cleaned.get("answer") and not cleaned.get("images") and "question" in cleaned
                and not has_cloze(cleaned["question"])):
            self.add_error("answer", forms.ValidationError(self.fields["answer"].error_messages["required"],
                                                           code="required"))
        if cleaned.get("images"):
            try:
                cleaned["images"] = cleaned_images(cleaned["images"], answer=cleaned.get("answer", ""))
            except forms.ValidationError as error:
                self.add_error("images", error)
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.csv, .tsv, .txt or Anki's .apkg)"))
    topic = TopicField(label=gettext_lazy("Topic for rows that name none"))
    update_existing = forms.BooleanField(required=False, label=gettext_lazy(
        "Update the cards whose question I already have (answer, topic, difficulty)"))
    with_history = forms.BooleanField(required=False, label=gettext_lazy(
        "From an Anki package: bring my reviews and scheduling"))
    take_fsrs_parameters = forms.BooleanField(required=False, label=gettext_lazy(
        "From an Anki package: use its FSRS parameters and desired retention for my study"))


class OwnCardFilter(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=gettext_lazy("Search my cards"))
    topic = TopicField(required=False, label=gettext_lazy("Topic"), empty_label=gettext_lazy("All topics"))


class ImportConfirmForm(forms.Form):
    """The import the learner previewed: the package kept under `token`, and the options they chose."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$")
    file_name = forms.CharField(max_length=255)
    topic = TopicField()
    update_existing = forms.BooleanField(required=False)
    with_history = forms.BooleanField(required=False)
    take_fsrs_parameters = forms.BooleanField(required=False)
