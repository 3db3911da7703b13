"""The API for a learner's own cards: list, add, read, edit, delete, import. Another learner's card
answers 404, like one that does not exist."""

import json

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from questions.api import CARD_ID
from questions.images import MAX_IMAGES_PER_CARD, MAX_NAME_LENGTH, image_names
from questions.models import Question
from questions.serializers import TopicSlugField
from quizapp.core.negotiation import FileNegotiation
from quizapp.core.parsers import BoundedFormParser, BoundedJSONParser, BoundedMultiPartParser
from quizapp.own_cards import imports, selectors, services
from quizapp.own_cards.cloze import has_cloze
from quizapp.own_cards.forms import (
    MAX_ANSWER_LENGTH,
    MAX_QUESTION_LENGTH,
    cleaned_answer,
    cleaned_question,
    read_upload,
)
from quizapp.own_cards.images import ImageFile, card_upload_too_large, image_files_problems, own_image_response
from quizapp.own_cards.services import OwnCardText


# The web form's rules (quizapp.own_cards.forms) in DRF's fields: the same limits, stated for the schema,
# and the same cleaning, whose Django ValidationError DRF answers as this field's 400.
class OwnCardSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="card_id", read_only=True)
    question = serializers.CharField(source="question_en", max_length=MAX_QUESTION_LENGTH, help_text=(
        "plain text, formulas between $…$; blanks {{c1::answer}} or {{c1::answer::hint}} make a card per number "
        "(a cloze card reads back its note's text as written)"))
    answer = serializers.CharField(source="answer_en", max_length=MAX_ANSWER_LENGTH, allow_blank=True,
                                   help_text="Markdown; formulas between $…$ or $$…$$; optional with blanks")
    cloze_number = serializers.IntegerField(read_only=True, allow_null=True,
                                            help_text="the cloze this card blanks; null for a card with none")
    topic = TopicSlugField()
    difficulty = serializers.ChoiceField(choices=[1, 2, 3], default=Question.Difficulty.STANDARD)
    answer_html = serializers.CharField(source="answer_html_en", read_only=True)
    images = serializers.SerializerMethodField(help_text="the images the answer shows, by the name it uses")
    new_images = serializers.ListField(
        child=serializers.FileField(), write_only=True, required=False, max_length=MAX_IMAGES_PER_CARD,
        help_text=("images to add (multipart): PNG, JPEG, GIF or WebP, each at most OWN_CARD_IMAGE_MAX_BYTES "
                   f"(2 MB by default), at most {MAX_IMAGES_PER_CARD} a card; each is added at the end of the answer "
                   "as ![file name](name) unless the answer names it already"))
    remove_images = serializers.ListField(child=serializers.CharField(max_length=MAX_NAME_LENGTH), write_only=True,
                                          required=False, max_length=MAX_IMAGES_PER_CARD,
                                          help_text="names of images to take out of the answer")

    class Meta:
        model = Question
        fields = ["id", "question", "answer", "topic", "difficulty", "cloze_number", "answer_html", "images",
                  "new_images", "remove_images", "updated_at"]

    @extend_schema_field(inline_serializer("OwnCardImage", {
        "name": serializers.CharField(), "url": serializers.CharField(help_text="its bytes, for me alone"),
        "content_type": serializers.CharField(), "size": serializers.IntegerField()}, many=True))
    def get_images(self, card) -> list[dict]:
        return [{"name": image.name, "url": reverse("own-card-image", args=[image.name]),
                 "content_type": image.content_type, "size": image.size} for image in card.images.all()]

    def validate_new_images(self, uploads) -> list[ImageFile]:
        files = [read_upload(upload) for upload in uploads]
        problems = image_files_problems(files)
        if problems:
            raise ValidationError(problems)
        return files

    def to_representation(self, card):
        shown = super().to_representation(card)
        if card.cloze_text:
            shown["question"] = card.cloze_text
        return shown

    def validate(self, data):
        question = data.get("question_en", self.instance and (self.instance.cloze_text or self.instance.question_en))
        answer = data.get("answer_en", self.instance and self.instance.answer_en)
        if not answer and not has_cloze(question or "") and not data.get("new_images"):
            raise ValidationError({"answer": [_("This field is required.")]})
        removed = set(data.get("remove_images", []))
        shown = {name for name in image_names(answer or "") if name not in removed}
        if len(shown) + len(data.get("new_images", [])) > MAX_IMAGES_PER_CARD:
            raise ValidationError({"new_images": [services.too_many_images_message()]})
        return data

    def validate_answer(self, answer: str) -> str:
        return cleaned_answer(answer)

    def validate_question(self, question: str) -> str:
        return cleaned_question(question, owner=self.context["request"].user, card=self.instance)

    def _text(self, validated: dict) -> OwnCardText:
        current = self.instance
        return OwnCardText(
            question=validated.get("question_en", current and (current.cloze_text or current.question_en)),
            answer=validated.get("answer_en", current and current.answer_en),
            topic=validated.get("topic", current and current.topic),
            difficulty=validated.get("difficulty", current and current.difficulty))

    def create(self, validated):
        return services.own_card_create(owner=self.context["request"].user, text=self._text(validated),
                                        images=validated.get("new_images", []))

    def update(self, card, validated):
        return services.own_card_update(card=card, text=self._text(validated), images=validated.get("new_images", []),
                                        removed_images=set(validated.get("remove_images", [])))


class OwnCardUploadParser(BoundedMultiPartParser):
    """A card with its images: room for the most images a card may take at their largest, and its text."""

    def refuse_too_large(self, request) -> None:
        problem = card_upload_too_large(request)
        if problem:
            raise ValidationError({"new_images": [problem]})


class ImportUploadParser(BoundedMultiPartParser):
    """The import's own limit (its file and the form around it), refused as a file too large is: 400 naming
    the file. Checked when the body is parsed, which for a session's request is its CSRF check, before
    the view runs."""

    def refuse_too_large(self, request) -> None:
        if imports.upload_too_large(request):
            raise ValidationError({"file": imports.too_large("file").problems})


MAX_CHOSEN_TOPICS = 500
MAX_DECK_NAME_LENGTH = 500


def import_preview_body(report: imports.ImportReport) -> dict:
    """The preview's answer: how many cards each outcome takes, and each deck's or tag's topic."""
    return {"new": len(report.created), "updated": len(report.updated), "skipped": len(report.skipped),
            "recognised": len(report.recognised), "reviews": report.reviews_imported,
            "images": report.images, "images_skipped": len(report.images_left_out),
            "image_problems": report.image_problems, "unit": report.unit,
            "topics": {name: topic.slug for name, topic in report.topics_from_anki.items()},
            "decks_without_topic": report.decks_without_topic}


class OwnCardImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or tab-separated text (UTF-8, UTF-16, GB18030 or Windows-1252; a "
                                           "header row may name the columns question, answer, topic, difficulty), "
                                           "Anki's plain-text export, or an Anki .apkg")
    topic = TopicSlugField(help_text="the topic of rows that name none")
    update_existing = serializers.BooleanField(default=False, help_text=(
        "a row whose question I already have updates that card's answer, topic and difficulty (else: skipped)"))
    with_history = serializers.BooleanField(default=False, help_text=(
        "an Anki package's review log and scheduling join my study history"))
    take_fsrs_parameters = serializers.BooleanField(default=False, help_text=(
        "an Anki package's FSRS weights and desired retention become my study settings"))
    preview = serializers.BooleanField(default=False, help_text=(
        "say what the import would do (counts, and the topic each Anki deck or tag picks) and import nothing"))
    topics = serializers.DictField(
        child=TopicSlugField(), required=False, help_text=(
            "my topic for an Anki deck or tag, by its name as the preview lists it (a JSON object in a form), "
            f"chosen before any topic the name itself picks; at most {MAX_CHOSEN_TOPICS} names"))

    def to_internal_value(self, data):
        # A multipart form sends the object as one text field.
        if isinstance(data.get("topics"), str):
            try:
                data = {**data.dict(), "topics": json.loads(data["topics"])}
            except ValueError:
                raise ValidationError({"topics": [_("A JSON object: deck or tag name → topic code.")]}) from None
        return super().to_internal_value(data)

    def validate_topics(self, topics: dict) -> dict:
        if len(topics) > MAX_CHOSEN_TOPICS:
            raise ValidationError(_("At most %(limit)d decks and tags.") % {"limit": MAX_CHOSEN_TOPICS})
        if any(len(name) > MAX_DECK_NAME_LENGTH for name in topics):
            raise ValidationError(_("A deck or tag name is at most %(limit)d characters.") % {
                "limit": MAX_DECK_NAME_LENGTH})
        return topics


@extend_schema_view(**{action: extend_schema(parameters=[CARD_ID])
                        for action in ("retrieve", "update", "partial_update", "destroy")})
class OwnCardViewSet(viewsets.ModelViewSet):
    """My own cards. They join my study queue, search and Anki export; nobody else sees them."""

    serializer_class = OwnCardSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "card_id"
    lookup_url_kwarg = "id"
    parser_classes = [BoundedJSONParser, BoundedFormParser, OwnCardUploadParser]  # the defaults, room for images

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no learner, only the model
            return Question.objects.none()
        return selectors.own_cards_matching(owner=self.request.user).prefetch_related("images")

    @extend_schema(summary="An image of my cards, by its name (another learner's answers 404)",
                   responses={(200, "image/*"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path=r"images/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,99})",
            url_name="image", content_negotiation_class=FileNegotiation)
    def image(self, request, name: str):
        return own_image_response(owner=request.user, name=name)

    def perform_destroy(self, card):
        services.own_card_delete(card=card)

    @extend_schema(request={"multipart/form-data": OwnCardImportSerializer}, summary=(
        "Import cards from a file: all rows or none (400 lists each bad row by line); a question I already "
        "have is skipped. With `preview`: what it would do, nothing imported"), responses={
        200: inline_serializer("OwnCardImportPreview", {
            "new": serializers.IntegerField(help_text="cards the import would add"),
            "updated": serializers.IntegerField(help_text="notes (or lines) that would update a card I have"),
            "skipped": serializers.IntegerField(help_text="notes (or lines) whose question I already have"),
            "recognised": serializers.IntegerField(help_text="notes of this site's own deck: their cards, no copy"),
            "reviews": serializers.IntegerField(help_text="Anki reviews the import would bring (with_history)"),
            "images": serializers.IntegerField(help_text="images the notes show that would come with them"),
            "images_skipped": serializers.IntegerField(help_text="notes showing an image that would not come"),
            "image_problems": serializers.ListField(child=serializers.CharField(), help_text=(
                "why each image that would not come cannot (not in the package, no image, too large)")),
            "unit": serializers.ChoiceField(choices=["line", "note"]),
            "topics": serializers.DictField(child=serializers.CharField(),
                                            help_text="an Anki deck or tag → the topic it picks"),
            "decks_without_topic": serializers.ListField(child=serializers.CharField(), help_text=(
                "decks whose notes would take the form's topic"))}),
        201: inline_serializer("OwnCardImportResult", {
            "created": OwnCardSerializer(many=True),
            "unit": serializers.ChoiceField(choices=["line", "note"], help_text="what `skipped` numbers"),
            "skipped": serializers.ListField(child=serializers.IntegerField(),
                                             help_text="lines (or notes) whose question I already have"),
            "updated": serializers.ListField(child=serializers.IntegerField(),
                                             help_text="lines (or notes) that updated a card I already have"),
            "repeated": serializers.ListField(child=serializers.IntegerField(),
                                              help_text="lines (or notes) repeating an earlier one's question"),
            "ignored_columns": serializers.ListField(child=serializers.CharField()),
            "recognised": serializers.ListField(child=serializers.IntegerField(),
                                                help_text="notes of this site's own deck: their cards, no copy"),
            "topics_kept": serializers.ListField(child=serializers.IntegerField(),
                                                 help_text="updated notes whose card kept its topic"),
            "topics_from_anki": serializers.DictField(child=serializers.CharField(),
                                                      help_text="an Anki deck or tag → the topic it named"),
            "images": serializers.IntegerField(help_text="images that came with the notes"),
            "images_left_out": serializers.ListField(child=serializers.IntegerField(),
                                                     help_text="notes showing an image that was not imported"),
            "image_problems": serializers.ListField(child=serializers.CharField(),
                                                    help_text="why each image left out could not come"),
            "reviews_imported": serializers.IntegerField(), "fsrs_taken": serializers.BooleanField()})})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[ImportUploadParser])
    def import_file(self, request):
        body = OwnCardImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        options = {"owner": request.user, "upload": data["file"], "default_topic": data["topic"],
                   "update_existing": data["update_existing"], "with_history": data["with_history"],
                   "take_fsrs_parameters": data["take_fsrs_parameters"], "chosen_topics": data.get("topics")}
        if data["preview"]:
            return Response(import_preview_body(imports.own_cards_import_preview_upload(**options)))
        report = imports.own_cards_import_upload(**options)
        return Response({"created": OwnCardSerializer(report.created, many=True).data, "unit": report.unit,
                         "skipped": report.skipped, "updated": report.updated, "repeated": report.repeated,
                         "ignored_columns": report.ignored_columns, "recognised": report.recognised,
                         "topics_kept": report.topics_kept, "reviews_imported": report.reviews_imported,
                         "topics_from_anki": {name: topic.slug for name, topic in report.topics_from_anki.items()},
                         "images": report.images, "images_left_out": report.images_left_out,
                         "image_problems": report.image_problems,
                         "fsrs_taken": report.fsrs_taken},
                        status=status.HTTP_201_CREATED)
