from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pages with a ceiling on ?limit=: without one a client can ask for a whole table
    in one response, or for a LIMIT past 64 bits that the database refuses (a 500). A larger limit is
    served as the largest page; the `next` link goes on from there."""

    max_limit = 100
