"""citebot: answers questions from a document collection with quoted, verifiable evidence."""

__version__ = "0.1.0"
