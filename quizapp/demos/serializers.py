from rest_framework import serializers

from quizapp.demos.models import DemoRequest, DemoRun


class DemoSpecSerializer(serializers.Serializer):
    """A demo's spec as `engine.DemoSpec.describe()` gives it."""

    id = serializers.CharField()
    title = serializers.DictField(child=serializers.CharField())
    description = serializers.DictField(child=serializers.CharField())
    queue = serializers.CharField()
    params = serializers.ListField(child=serializers.DictField())


class RunRequestSerializer(serializers.Serializer):
    params = serializers.DictField(required=False, default=dict,
                                   help_text="parameter name → value; missing ones take their defaults")


class DemoRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DemoRun
        fields = ["id", "demo_id", "params", "engine_version", "status", "progress", "progress_message",
                  "result", "error", "created_at", "started_at", "finished_at", "url"]

    def get_url(self, run) -> str:
        return f"/demos/runs/{run.id}/"


class DemoRequestSerializer(serializers.ModelSerializer):
    run = DemoRunSerializer()

    class Meta:
        model = DemoRequest
        fields = ["requested_at", "from_cache", "run"]
