"""Texts and vocabularies: built-in and user corpora, the validation split, character vocabularies."""
