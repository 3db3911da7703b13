"""A learner's own cards: written one at a time, imported from a file, listed, searched, deleted."""
