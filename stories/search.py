from wagtail.search.backends import get_search_backends


def remove_from_search(pages):
    """Delete pages from every search backend (Wagtail's unpublish only re-indexes them)."""
    for backend in get_search_backends(with_auto_update=True):
        for page in pages:
            backend.delete(page)
