from django.contrib import admin

from questions.models import Question, QuestionDemo, Tag, Topic
from questions.rendering import render_markdown


class QuestionDemoInline(admin.TabularInline):
    model = QuestionDemo
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["card_id", "topic", "difficulty", "retired", "updated_at"]
    list_filter = ["topic", "difficulty", "retired", "tags"]
    search_fields = ["card_id", "question_en", "question_zh"]
    filter_horizontal = ["tags"]
    inlines = [QuestionDemoInline]

    def save_model(self, request, obj, form, change):
        # Keep the rendered HTML and the search text in step with the edited Markdown.
        obj.answer_html_en = render_markdown(obj.answer_en)
        obj.answer_html_zh = render_markdown(obj.answer_zh)
        obj.search_text = "\n".join([obj.question_en, obj.question_zh, obj.answer_en, obj.answer_zh]).lower()
        super().save_model(request, obj, form, change)


admin.site.register(Topic)
admin.site.register(Tag)
