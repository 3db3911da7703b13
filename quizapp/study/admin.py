from django.contrib import admin

from quizapp.study.models import CardState, ReviewLog, SchedulerOptimization, StudySettings


@admin.register(StudySettings)
class StudySettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "desired_retention", "new_cards_per_day", "reviews_per_day", "timezone", "day_start_hour"]
    search_fields = ["user__username"]
    filter_horizontal = ["topics"]


@admin.register(CardState)
class CardStateAdmin(admin.ModelAdmin):
    list_display = ["user", "question", "state", "due", "stability", "difficulty", "reps", "lapses", "is_leech",
                    "suspended"]
    list_filter = ["state", "is_leech", "suspended"]
    search_fields = ["user__username", "question__card_id"]
    raw_id_fields = ["user", "question"]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ["user", "card", "rating", "reviewed_at", "duration_ms", "state_before", "source"]
    list_filter = ["rating", "source", "state_before"]
    search_fields = ["user__username"]
    raw_id_fields = ["user", "card"]


@admin.register(SchedulerOptimization)
class SchedulerOptimizationAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "reviews_counted", "old_log_loss", "new_log_loss", "applied", "created_at"]
    list_filter = ["status", "applied"]
    raw_id_fields = ["user"]
