from rest_framework import serializers

from questions.models import Question, Topic


class TopicSerializer(serializers.ModelSerializer):
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Topic
        fields = ["slug", "title_en", "title_zh", "question_count"]


class KeyPointSerializer(serializers.Serializer):
    en = serializers.CharField()
    zh = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())


class QuestionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="card_id")
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    demos = serializers.ListField(source="demo_ids", child=serializers.CharField(), read_only=True)
    key_points = KeyPointSerializer(many=True)
    seed_refs = serializers.ListField(child=serializers.CharField())
    references = serializers.ListField(child=serializers.CharField())
    own = serializers.BooleanField(source="is_own", read_only=True,
                                   help_text="the learner's own card, not the corpus's")

    class Meta:
        model = Question
        fields = ["id", "topic", "difficulty", "tags", "demos", "seed_refs", "references", "question_en",
                  "question_zh", "answer_en", "answer_zh", "answer_html_en", "answer_html_zh", "key_points", "own"]
