import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from questions.forms import TopicsField
from questions.models import Topic
from quizapp.study.models import MAX_RETENTION, MIN_RETENTION, StudySettings


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
    topics = TopicsField(label=_("Topics"), queryset=Topic.objects.all(), required=False,
                         widget=forms.CheckboxSelectMultiple, help_text=_("None checked: study every topic."))

    class Meta:
        model = StudySettings
        fields = ["desired_retention", "new_cards_per_day", "reviews_per_day", "timezone", "day_start_hour",
                  "new_card_order", "topics"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(zoneinfo.available_timezones())]
