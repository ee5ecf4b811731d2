"""The database search backend, with SQLite's full-text queries quoted properly.

The SQLite backend wraps each search word in double quotes for FTS5 but leaves a double
quote inside the word as it is, so a search for ``say "hello"`` ends the quoted word early
and FTS5 fails with a syntax error: a 500 from the public search box, the v3 API's
``?search=`` and the admin's search alike. FTS5 reads a doubled quote as a quote, so every
word is given doubled quotes before the backend quotes it. PostgreSQL's backend parses its
own queries and is left as it is.
"""

from functools import cache

from modelsearch.backends.database import SearchBackend as database_backend
from modelsearch.query import Phrase, PlainText


class QuotedWordsMixin:
    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            query = PlainText(
                query.query_string.replace('"', '""'), operator=query.operator, boost=query.boost
            )
        elif isinstance(query, Phrase):
            query = Phrase(query.query_string.replace('"', '""'))
        return super().build_search_query_content(query, config=config)


@cache
def _quoted_compilers():
    # Imported only on SQLite: the module defines a model that exists only there.
    from modelsearch.backends.database.sqlite.sqlite import (
        SQLiteAutocompleteQueryCompiler,
        SQLiteSearchQueryCompiler,
    )

    search = type("QuotedSearchQueryCompiler", (QuotedWordsMixin, SQLiteSearchQueryCompiler), {})
    autocomplete = type(
        "QuotedAutocompleteQueryCompiler",
        (QuotedWordsMixin, SQLiteAutocompleteQueryCompiler),
        {},
    )
    return search, autocomplete


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    backend = database_backend(params)
    if type(backend).__name__ == "SQLiteSearchBackend":
        backend.query_compiler_class, backend.autocomplete_query_compiler_class = (
            _quoted_compilers()
        )
    return backend
