"""Content negotiation for the API's file answers (an image, a recording, an Anki deck)."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class FileNegotiation(DefaultContentNegotiation):
    """A file answers whatever the client accepts (an <img> asks for image/*, a client fetching a deck for
    application/octet-stream), where DRF's JSON renderer would refuse the request with 406 before the
    view ran; an error still comes in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
