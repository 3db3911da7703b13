import os
import uuid
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from questions.apkg_export import anki_deck_write
from questions.selectors import question_list
from quizapp.study.selectors import anki_schedule


class Command(BaseCommand):
    help = ("Write the active questions as an Anki deck (.apkg), one language per deck; with --user, that "
            "learner's own cards too and their schedule (reviews, due days, memory states, FSRS preset).")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="where to write the .apkg")
        parser.add_argument("--language", choices=["zh", "en"], default="zh")
        parser.add_argument("--topic", help="only this topic's questions (its slug)")
        parser.add_argument("--user", help="the learner (username) whose cards and schedule to include")

    def handle(self, *args, path: Path, language: str, topic: str | None, user: str | None, **options):
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such folder")
        learner = self._learner(user) if user else None
        questions = list(question_list(viewer=learner, topic=topic))
        if not questions:
            raise CommandError(f"no questions{f' in topic {topic!r}' if topic else ''}: nothing written")
        schedule = (anki_schedule(user=learner, question_ids=[question.pk for question in questions],
                                  now=timezone.now()) if learner else None)
        count = self._write_atomically(path, lambda written: anki_deck_write(
            questions=questions, language=language, path=written, schedule=schedule))
        reviews = f", {sum(len(card.reviews) for card in schedule.cards.values())} reviews" if schedule else ""
        self.stdout.write(f"{path}: {count} notes ({language}){reviews}")

    @staticmethod
    def _write_atomically(path: Path, write: Callable[[Path], int]) -> int:
        """Write beside `path`, then rename over it: a failure leaves no file, nor half of one, and an older deck
        at `path` stays whole until the new one is complete."""
        written = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")  # made as any new file, umask and all
        try:
            count = write(written)
            os.replace(written, path)
        finally:
            written.unlink(missing_ok=True)
        return count

    def _learner(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no learner named {username!r}") from None
