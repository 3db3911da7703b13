from django.contrib import admin

from quizapp.interviews.models import Interview, InterviewItem


class InterviewItemInline(admin.TabularInline):
    model = InterviewItem
    extra = 0
    fields = ["position", "question", "follow_up_of", "shown_at", "deadline", "closed_at", "skipped", "timed_out",
              "late", "score", "study_rating"]
    readonly_fields = fields
    can_delete = False


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "status", "language", "created_at", "score"]
    list_filter = ["status", "language", "weak_spots"]
    search_fields = ["user__username"]
    readonly_fields = ["started_at", "deadline", "answering_ended_at", "reviewed_at", "score"]
    inlines = [InterviewItemInline]
