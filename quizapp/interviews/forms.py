from django import forms
from django.utils.translation import gettext_lazy as _

from questions.forms import TopicsField
from questions.selectors import topic_list_with_counts
from quizapp.interviews import services
from quizapp.interviews.models import Interview

DIFFICULTIES = [(1, _("1 · basic")), (2, _("2 · standard")), (3, _("3 · hard"))]


class TopicChoiceField(TopicsField):
    def label_from_instance(self, topic) -> str:
        return f"{topic.title} ({topic.question_count})"


class InterviewSetupForm(forms.Form):
    """The set-up page. A preset button fills in the count and the time; the rest is the form's."""

    topics = TopicChoiceField(
        queryset=topic_list_with_counts(), widget=forms.CheckboxSelectMultiple, label=_("Topics"),
        error_messages={"required": _("Choose at least one topic.")})
    difficulty_min = forms.TypedChoiceField(choices=DIFFICULTIES, coerce=int, initial=1, label=_("Difficulty from"))
    difficulty_max = forms.TypedChoiceField(choices=DIFFICULTIES, coerce=int, initial=3, label=_("to"))
    count = forms.IntegerField(min_value=1, max_value=services.MAX_QUESTIONS, initial=5,
                               label=_("Number of questions"))
    timing = forms.ChoiceField(choices=[("per_question", _("Minutes per question")), ("total", _("Total time"))],
                               widget=forms.RadioSelect, initial="per_question", label=_("Clock"))
    minutes_per_question = forms.IntegerField(
        min_value=1, max_value=services.MAX_MINUTES_PER_QUESTION, initial=5, required=False,
        label=_("Minutes per question"), widget=forms.NumberInput(attrs={"aria-label": _("Minutes per question")}))
    total_minutes = forms.IntegerField(
        min_value=1, max_value=services.MAX_TOTAL_MINUTES, initial=30, required=False, label=_("Total minutes"),
        widget=forms.NumberInput(attrs={"aria-label": _("Total minutes")}))
    language = forms.ChoiceField(choices=Interview.Language.choices, label=_("Interview language"))
    weak_spots = forms.BooleanField(required=False, label=_("Weak spots first"),
                                    help_text=_("Prefer questions you lapsed on or are about to forget in study."))

    def __init__(self, data=None, *, preset: str | None = None, **kwargs):
        if data is not None and preset in services.PRESETS:
            data = data.copy()
            data.update({"timing": "per_question", **{key: str(value)
                                                       for key, value in services.PRESETS[preset].items()}})
        super().__init__(data, **kwargs)

    def clean(self):
        data = super().clean()
        field = "minutes_per_question" if data.get("timing") == "per_question" else "total_minutes"
        if data.get("timing") and data.get(field) is None and field not in self.errors:  # one message, not two
            self.add_error(field, _("This field is required."))
        low, high = data.get("difficulty_min"), data.get("difficulty_max")
        if low and high and low > high:
            self.add_error("difficulty_max", _("The difficulty range must go from low to high, within 1–3."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        per_question = data["timing"] == "per_question"
        return {"topics": list(data["topics"]), "difficulty_min": data["difficulty_min"],
                "difficulty_max": data["difficulty_max"], "count": data["count"],
                "minutes_per_question": data["minutes_per_question"] if per_question else None,
                "total_minutes": None if per_question else data["total_minutes"],
                "language": data["language"], "weak_spots": data["weak_spots"]}


class RoundStartForm(forms.Form):
    """A system design or coding round: its button names the round; the set-up form's language applies."""

    kind = forms.ChoiceField(choices=[(kind, Interview.Kind(kind).label) for kind in services.ROUNDS])
    language = forms.ChoiceField(choices=Interview.Language.choices)


class LoopStartForm(forms.Form):
    """A loop's button names the loop; the set-up form's language applies."""

    loop = forms.SlugField(max_length=40, error_messages={"required": _("Choose one of the loops.")})
    language = forms.ChoiceField(choices=Interview.Language.choices)


class HistoryFilterForm(forms.Form):
    topic = forms.SlugField(required=False, label=_("Topic"))
