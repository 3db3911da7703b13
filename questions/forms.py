from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from questions.models import LARGEST_ID, Tag, Topic


class QuestionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    topic = forms.SlugField(required=False, label=_("Topic"))
    tag = forms.SlugField(required=False, label=_("Tag"))
    difficulty = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Difficulty"),
                                        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3")])


class AnkiExportForm(QuestionFilterForm):
    """The list's filters, and whether the deck carries the learner's schedule (theirs only: signed in). A topic
    or tag that does not exist is an error, not an empty deck."""

    schedule = forms.BooleanField(required=False, label=_("Include my schedule"))
    language = forms.ChoiceField(required=False, choices=[("zh", "中文"), ("en", "English")], label=_("Language"))

    def __init__(self, *args, learner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner = learner

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"]
        if topic and not Topic.objects.filter(slug=topic).exists():
            raise ValidationError(_("There is no topic “%(slug)s”."), code="unknown", params={"slug": topic})
        return topic

    def clean_tag(self) -> str:
        tag = self.cleaned_data["tag"]
        if tag and not Tag.objects.filter(name=tag).exists():
            raise ValidationError(_("There is no tag “%(tag)s”."), code="unknown", params={"tag": tag})
        return tag

    def clean_schedule(self) -> bool:
        schedule = self.cleaned_data["schedule"]
        if schedule and (self.learner is None or not self.learner.is_authenticated):
            raise ValidationError(_("Sign in to download your schedule."), code="anonymous")
        return schedule


class GroupedTopicSelect(forms.Select):
    """A topic select whose options sit under their groups (<optgroup>); the empty choice stays on top."""

    def optgroups(self, name, value, attrs=None):
        shelves = []
        for _group, options, index in super().optgroups(name, value, attrs):
            for option in options:
                topic = getattr(option["value"], "instance", None)
                group = topic.group.title if topic is not None and topic.group is not None else None
                if shelves and shelves[-1][0] == group:
                    shelves[-1][1].append(option)
                else:
                    shelves.append((group, [option], index))
        return shelves


class TopicField(forms.ModelChoiceField):
    """One topic, chosen by slug, labelled by its title in the page's language, in its group."""

    widget = GroupedTopicSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", _("— choose a topic —"))
        super().__init__(queryset=Topic.objects.select_related("group").order_by("position", "slug"),
                         to_field_name="slug", **kwargs)

    def label_from_instance(self, topic) -> str:
        return topic.title


class TopicsField(forms.ModelMultipleChoiceField):
    """Topics ticked by id. An id past 64 bits is an invalid choice like any unknown one; Django's own
    check would hand it to the database, where SQLite raises OverflowError."""

    def label_from_instance(self, topic) -> str:
        return topic.title  # in the page's language, not the slug

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if text.isdecimal() and (len(text) > len(str(LARGEST_ID)) or int(text) > LARGEST_ID):
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super()._check_values(value)
