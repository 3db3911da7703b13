import zoneinfo

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from questions.forms import TopicField, TopicsField
from questions.models import Question, Topic, TopicGroup, visible_to
from quizapp.study import browsing
from quizapp.study.models import MAX_RETENTION, MIN_RETENTION, CustomSession, StudySettings

# The zones most learners are in, listed first; then every city zone by region. Legacy aliases
# ("US/Pacific", "Etc/GMT+8") and system entries ("Factory", "localtime") are left out.
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
                "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney", "UTC")
REGIONS = {"Africa": _("Africa"), "America": _("America"), "Antarctica": _("Antarctica"), "Asia": _("Asia"),
           "Atlantic": _("Atlantic"), "Australia": _("Australia"), "Europe": _("Europe"), "Indian": _("Indian Ocean"),
           "Pacific": _("Pacific")}


def time_zone_choices(current: str) -> list:
    """Grouped for the select: the common zones, then each region's; the learner's current zone stays
    listed even if it is one of the left-out aliases."""
    by_region: dict[str, list[str]] = {region: [] for region in REGIONS}
    for name in sorted(zoneinfo.available_timezones()):
        region = name.split("/", 1)[0]
        if region in by_region and name not in COMMON_ZONES:
            by_region[region].append(name)
    listed = {*COMMON_ZONES, *(name for names in by_region.values() for name in names)}
    common = [*COMMON_ZONES, *([current] if current and current not in listed else [])]
    return [(_("Common"), [(name, name.replace("_", " ")) for name in common])] + [
        (REGIONS[region], [(name, name.split("/", 1)[1].replace("_", " ")) for name in names])
        for region, names in by_region.items()]


class StudySettingsForm(forms.ModelForm):
    desired_retention = forms.FloatField(
        label=_("Desired retention"), min_value=MIN_RETENTION, max_value=MAX_RETENTION,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=_("The chance of remembering a card when it comes due (0.70–0.97). Higher means more reviews."))
    new_cards_per_day = forms.IntegerField(label=_("New cards per day"), min_value=0, max_value=9999)
    reviews_per_day = forms.IntegerField(label=_("Reviews per day"), min_value=0, max_value=9999)
    timezone = forms.TypedChoiceField(label=_("Time zone"), choices=[])
    day_start_hour = forms.IntegerField(label=_("Next day starts at (hour)"), min_value=0, max_value=23,
                                        help_text=_("Reviews after midnight count for the day before until this hour."))
    topics = TopicsField(label=_("Topics"), queryset=Topic.objects.select_related("group"), required=False,
                         widget=forms.CheckboxSelectMultiple, help_text=_("None checked: study every topic."))

    class Meta:
        model = StudySettings
        fields = ["desired_retention", "new_cards_per_day", "reviews_per_day", "timezone", "day_start_hour",
                  "new_card_order", "interview_date", "topics"]
        widgets = {"interview_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices(self.instance.timezone if self.instance else "")


class PlanApplyForm(forms.Form):
    new_cards_per_day = forms.IntegerField(label=_("New cards per day"), min_value=0, max_value=9999)


class NewCardsTodayForm(forms.Form):
    extra = forms.IntegerField(min_value=1, max_value=9999, initial=10,
                               label=_("Increase today's new card limit by"))


class ReviewAheadForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=9999, initial=1,
                              label=_("Review the cards due in the next (days)"))


class CramForm(forms.Form):
    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), label=_("Topic"), empty_label=None)
    cards = forms.ChoiceField(choices=CustomSession.Cards.choices, initial=CustomSession.Cards.ALL,
                              widget=forms.RadioSelect, label=_("Cards"))
    count = forms.IntegerField(min_value=1, max_value=9999, initial=100, label=_("At most (cards)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The topics with a card the learner may see: the corpus's, and those of their own cards.
        self.fields["topic"].queryset = Topic.objects.filter(
            Exists(Question.objects.filter(visible_to(user), topic=OuterRef("pk"), retired=False)))
        self.fields["topic"].label_from_instance = lambda topic: topic.title  # in the page's language


class CardBrowseFilter(forms.Form):
    """The card browser's query string (the page's and the API's): filter, search, sort, page."""

    q = forms.CharField(required=False, max_length=200, label=_("Search questions"))
    topic = TopicField(required=False, label=_("Topic"), empty_label=_("All topics"))
    state = forms.ChoiceField(required=False, label=_("State"), choices=[
        ("", _("Any state")), ("new", _("New")), ("learning", _("Learning")), ("review", _("Review")),
        ("relearning", _("Relearning")), ("suspended", _("Suspended")), ("buried", _("Buried")),
        ("leech", _("Leech"))])
    sort = forms.ChoiceField(required=False, label=_("Sort by"), choices=[
        ("due", _("Due, soonest first")), ("-due", _("Due, latest first")),
        ("retrievability", _("Recall chance, lowest first")), ("-retrievability", _("Recall chance, highest first")),
        ("-stability", _("Stability, largest first")), ("stability", _("Stability, smallest first")),
        ("-difficulty", _("Difficulty, hardest first")), ("difficulty", _("Difficulty, easiest first")),
        ("-lapses", _("Lapses, most first")), ("lapses", _("Lapses, fewest first")),
        ("-reps", _("Reviews, most first")), ("reps", _("Reviews, fewest first")),
        ("-last_review", _("Last review, latest first")), ("last_review", _("Last review, earliest first"))])

    def card_filter(self):
        data = self.cleaned_data
        return browsing.CardFilter(topic_id=data["topic"].pk if data["topic"] else None, state=data["state"],
                                         query=data["q"])

    def sort_key(self) -> str:
        return self.cleaned_data["sort"] or browsing.DEFAULT_SORT


class FirstDayForm(forms.Form):
    """A new learner's first choice, on the home page: what they prepare for (groups of topics, none
    ticked: everything) and, if they know it, the day of their interview."""

    groups = forms.ModelMultipleChoiceField(
        queryset=TopicGroup.objects.filter(topics__isnull=False).distinct(), required=False,
        widget=forms.CheckboxSelectMultiple, label=_("What are you preparing for?"),
        help_text=_("None ticked: every topic. You can pick single topics in the settings later."))
    interview_date = forms.DateField(required=False, label=_("Interview date (optional)"),
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].label_from_instance = lambda group: group.title  # in the page's language

    def chosen_topics(self) -> list[Topic]:
        groups = self.cleaned_data["groups"]
        return list(Topic.objects.filter(group__in=groups)) if groups else []
