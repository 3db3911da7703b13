from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

import engine
from quizapp.demos import selectors
from quizapp.demos.models import DemoRequest, DemoRun


class DemoSpecSerializer(serializers.Serializer):
    """A demo's spec as `engine.DemoSpec.describe()` gives it."""

    id = serializers.CharField()
    title = serializers.DictField(child=serializers.CharField())
    description = serializers.DictField(child=serializers.CharField())
    queue = serializers.CharField()
    params = serializers.ListField(child=serializers.DictField())


def _param_schema(param: dict) -> dict:
    """One parameter of engine.DemoSpec.describe() as JSON Schema, with the bounds the spec checks."""
    kinds = {"int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
             "choice": {"type": "string", "enum": param.get("choices")}}
    bounds = {key: param[key] for key in ("minimum", "maximum") if key in param}
    return {**kinds[param["kind"]], **bounds, "default": param["default"], "description": param["label"]["en"]}


def demo_params_schema() -> dict:
    """Each demo's parameters, any of which a body may give; a name the demo does not know is refused."""
    return {"anyOf": [{"title": f"{spec['id']} parameters", "type": "object", "additionalProperties": False,
                       "properties": {param["name"]: _param_schema(param) for param in spec["params"]}}
                      for spec in (demo.describe() for demo in engine.all_demos())],
            "description": "parameter name → value, for the demo the path names; missing ones take their defaults"}


@extend_schema_field(demo_params_schema())
class DemoParamsField(serializers.DictField):
    """Checked against the demo's spec by the service (engine.DemoSpec.validate), documented here."""


class RunRequestSerializer(serializers.Serializer):
    params = DemoParamsField(required=False, default=dict)


class ParamInWordsSerializer(serializers.Serializer):
    """One of a run's parameters as the page names it (engine.DemoSpec.params_in_words)."""

    name = serializers.CharField()
    value = serializers.JSONField()
    label = serializers.DictField(child=serializers.CharField(), help_text="{en, zh}")
    value_label = serializers.DictField(child=serializers.CharField(), allow_null=True,
                                        help_text="{en, zh} for a choice or a yes/no; null for a number")


class DemoRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    params_in_words = serializers.SerializerMethodField()

    class Meta:
        model = DemoRun
        fields = ["id", "demo_id", "params", "params_in_words", "engine_version", "status", "progress",
                  "progress_message", "result", "error", "created_at", "started_at", "finished_at", "url"]

    def get_url(self, run) -> str:
        return f"/demos/runs/{run.id}/"

    @extend_schema_field(ParamInWordsSerializer(many=True))
    def get_params_in_words(self, run) -> list[dict]:
        return selectors.params_in_words(demo_id=run.demo_id, params=run.params)


class DemoRequestSerializer(serializers.ModelSerializer):
    run = DemoRunSerializer()

    class Meta:
        model = DemoRequest
        fields = ["requested_at", "from_cache", "run"]
