from pathlib import Path

from django.core.management.base import BaseCommand

from questions.corpus import CORPUS_DIR
from questions.services import corpus_export


class Command(BaseCommand):
    help = "Write the cards in the database back to the corpus YAML files (after admin edits)."

    def add_arguments(self, parser):
        parser.add_argument("--folder", type=Path, default=CORPUS_DIR)

    def handle(self, *args, folder: Path, **options):
        for path in corpus_export(folder=folder):
            self.stdout.write(f"wrote {path}")
