from datetime import datetime

from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _

register = template.Library()


def _card_states() -> dict[str, str]:
    return {"new": _("New"), "learning": _("Learning"), "review": _("Review"), "relearning": _("Relearning")}


@register.simple_tag
def session_strings():
    """The words study.js shows, in the page's language: a JSON element it reads with QuizApp.pageData."""
    return json_script({
        **_card_states(),
        "minutes": _("%(n)s min"), "hours": _("%(n)s h"), "days": _("%(n)s d"), "months": _("%(n)s mo"),
        "years": _("%(n)s y"), "retrievability": _("Recall chance now: %(n)s"), "leech": _("Leech"),
        "undone": _("Rating undone."), "nothing_to_undo": _("Nothing to undo."),
        "buried": _("Buried until tomorrow. Press u to undo."), "suspended": _("Suspended. Press u to undo."),
        "unburied": _("Unburied: the card is back in today's queue."),
        "unsuspended": _("Unsuspended: the card is back in your reviews."),
        "became_leech": _("This card is now a leech (too many lapses) and was suspended."),
        "stale": _("This card was rated in another tab; here is the next one."),
        "network": _("Could not reach the server; please try again."),
        "saving": _("Saving your ratings…"),
        "offline": _("Offline: your ratings are kept in this browser and sent when the connection is back."),
        "signed_out": _("You are signed out: your ratings are kept in this browser; log in again to send them."),
        "not_saved": _("One rating could not be saved: its card is no longer in your queue."),
    }, "study-strings")


@register.simple_tag
def chart_labels():
    """The words of study-stats.js's charts, in the page's language."""
    return json_script({
        **_card_states(),
        "suspended": _("Suspended"), "leeches": _("Leeches"), "cards": _("Cards"), "reviews": _("Reviews"),
        "minutes": _("Minutes"), "retention": _("True retention"), "days": _("%(n)s days"),
        "recall": _("Recall chance"), "reviews_on": _("%(n)s reviews on %(day)s"),
    }, "study-chart-labels")


@register.simple_tag
def plan_chart_labels():
    """The words of plan.js's charts, in the page's language."""
    return json_script({
        "seen": _("Cards seen"), "recall": _("Predicted recall on the day"),
        "score": _("Latest mock interview score"), "percent": _("Percent"), "cards": _("Cards"),
        "at_plan": _("At the plan's %(n)s a day"), "at_current": _("At your %(n)s a day"), "all": _("All cards"),
    }, "plan-chart-labels")


@register.simple_tag
def rating_name(rating: int) -> str:
    return {1: _("Again"), 2: _("Hard"), 3: _("Good"), 4: _("Easy")}.get(rating, str(rating))


@register.filter
def interval_days(log) -> str:
    """The interval the card had when rated: from its review before to the due date it then had."""
    before = log.previous_state
    days = (datetime.fromisoformat(before["due"]) - datetime.fromisoformat(before["last_review"])).total_seconds()
    return f"{days / 86400:.1f}".removesuffix(".0")


@register.filter
def duration_seconds(log) -> int:
    return round(log.duration_ms / 1000)


@register.simple_tag
def browse_strings():
    """The confirmations browse.js asks before a bulk action, in the page's language."""
    return json_script({
        "none_ticked": _("Tick the cards first, or apply the action to all matching cards."),
        "suspend": _("Suspend %(n)s cards?"), "unsuspend": _("Unsuspend %(n)s cards?"),
        "bury": _("Bury %(n)s cards until tomorrow?"), "unbury": _("Unbury %(n)s cards?"),
        "reset": _("Reset %(n)s cards to new? Their memory state is forgotten; their review history is kept."),
        "postpone": _("Postpone the review cards due today among these %(n)s cards by %(days)s days?"),
        "advance": _("Advance the review cards not yet due among these %(n)s cards by %(days)s days?"),
    }, "browse-strings")
