from django import forms
from django.contrib import admin

from questions.corpus import KNOWN_DEMOS, card_problems
from questions.models import Question, QuestionDemo, Tag, Topic, TopicGroup
from questions.services import follow_up_as_written, question_derived_fields


class QuestionDemoForm(forms.ModelForm):
    class Meta:
        model = QuestionDemo
        fields = ["demo_id", "position"]

    def clean_demo_id(self):
        demo_id = self.cleaned_data["demo_id"]
        if demo_id not in KNOWN_DEMOS:
            raise forms.ValidationError(f"unknown demo {demo_id!r} (D1..D26)")
        return demo_id


class QuestionDemoInline(admin.TabularInline):
    model = QuestionDemo
    form = QuestionDemoForm
    extra = 0


def _follow_up_to_check(stored):
    """The follow-up as a corpus file writes it (probes from 1); a malformed one as it is, for the checker."""
    try:
        return follow_up_as_written(stored)
    except (KeyError, TypeError, AttributeError):
        return stored


class QuestionAdminForm(forms.ModelForm):
    def clean(self):
        # The same checks as a corpus file, so an admin edit cannot store what the loader would refuse.
        cleaned = super().clean()
        if self.errors:
            return cleaned
        card = {"__line__": 1, "id": cleaned["card_id"], "difficulty": cleaned["difficulty"],
                "question": {"en": cleaned["question_en"], "zh": cleaned["question_zh"]},
                "answer": {"en": cleaned["answer_en"], "zh": cleaned["answer_zh"]},
                "key_points": cleaned["key_points"], "seed_refs": cleaned["seed_refs"],
                "references": cleaned["references"], "tags": [tag.name for tag in cleaned["tags"]],
                "aliases": cleaned.get("aliases") or [],
                **({"follow_up": _follow_up_to_check(cleaned["follow_up"])} if cleaned.get("follow_up") else {})}
        for problem in card_problems(card):
            self.add_error(None, problem)
        return cleaned


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """The corpus. Learners' own cards are theirs alone, edited on their own pages."""

    form = QuestionAdminForm
    exclude = ["owner"]
    list_display = ["card_id", "topic", "difficulty", "retired", "updated_at"]
    list_filter = ["topic", "difficulty", "retired", "tags"]
    search_fields = ["card_id", "question_en", "question_zh"]
    filter_horizontal = ["tags"]
    inlines = [QuestionDemoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).corpus()

    def save_model(self, request, obj, form, change):
        # Keep the rendered HTML and the search text in step with the edited Markdown, as the loader does.
        obj.aliases = obj.aliases or []  # a form sent without the field: no other names
        obj.follow_up = obj.follow_up or {}  # nor a follow-up
        derived = question_derived_fields(question_en=obj.question_en, question_zh=obj.question_zh,
                                          answer_en=obj.answer_en, answer_zh=obj.answer_zh,
                                          tags=[tag.name for tag in form.cleaned_data["tags"]], aliases=obj.aliases)
        for name, value in derived.items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)


admin.site.register(Topic)
admin.site.register(TopicGroup)
admin.site.register(Tag)
