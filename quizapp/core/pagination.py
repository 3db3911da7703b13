from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pages with a ceiling on ?limit=: without one a client can ask for a whole table
    in one response, or for a LIMIT past 64 bits that the database refuses (a 500). A larger limit is
    served as the largest page; the `next` link goes on from there. A value that is not a whole number
    in range (?offset=null, ?limit=0) answers 400: DRF would read it as the first page, so a client's bug
    would show its first page again and again."""

    max_limit = 100

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        return min(_whole_number(raw, name=self.limit_query_param, minimum=1), self.max_limit)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        return 0 if raw is None else _whole_number(raw, name=self.offset_query_param, minimum=0)

    def get_schema_operation_parameters(self, view):
        minimum = {self.limit_query_param: 1, self.offset_query_param: 0}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = minimum[parameter["name"]]
        return parameters


def _whole_number(raw: str, *, name: str, minimum: int) -> int:
    # A past-the-end offset is an empty page: DRF compares it with the count before any query uses it.
    try:
        value = int(raw) if raw.isascii() and raw.isdecimal() else None
    except ValueError:  # more digits than Python converts
        value = None
    if value is None or value < minimum:
        raise ValidationError({name: [_("Give a whole number of at least %(minimum)d.") % {"minimum": minimum}]})
    return value
