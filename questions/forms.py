from django import forms
from django.utils.translation import gettext_lazy as _


class QuestionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    topic = forms.SlugField(required=False, label=_("Topic"))
    tag = forms.SlugField(required=False, label=_("Tag"))
    difficulty = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Difficulty"),
                                        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3")])
