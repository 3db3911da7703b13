from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.corpus import CORPUS_DIR, CorpusError, read_corpus
from questions.services import corpus_load


class Command(BaseCommand):
    help = "Validate every corpus file, then load them (nothing is loaded if any file is bad)."

    def add_arguments(self, parser):
        parser.add_argument("--folder", type=Path, default=CORPUS_DIR)
        parser.add_argument("--check", action="store_true", help="validate only, write nothing")

    def handle(self, *args, folder: Path, check: bool, **options):
        try:
            if check:
                cards = read_corpus(folder)
                self.stdout.write(f"ok: {len(cards)} cards")
                return
            report = corpus_load(folder=folder)
        except CorpusError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(error.problems)} problem(s) in {folder}; nothing was loaded") from None
        self.stdout.write(self.style.SUCCESS(f"corpus: {report}"))
