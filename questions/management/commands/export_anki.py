from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.apkg_export import anki_deck_write
from questions.selectors import question_list


class Command(BaseCommand):
    help = "Write the active questions as an Anki deck (.apkg), one language per deck."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="where to write the .apkg")
        parser.add_argument("--language", choices=["zh", "en"], default="zh")
        parser.add_argument("--topic", help="only this topic's questions (its slug)")

    def handle(self, *args, path: Path, language: str, topic: str | None, **options):
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such folder")
        count = anki_deck_write(questions=question_list(topic=topic), language=language, path=path)
        if count == 0:
            raise CommandError(f"no questions{f' in topic {topic!r}' if topic else ''}: nothing written")
        self.stdout.write(f"{path}: {count} notes ({language})")
