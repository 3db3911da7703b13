"""Questions made directly in the database, so these tests never depend on the real corpus."""

from __future__ import annotations

import itertools

from questions.models import Question, Topic

_numbers = itertools.count(1)

KEY_POINTS = [
    {"en": "Gradients shrink through saturated sigmoids", "zh": "sigmoid 饱和时梯度变小",
     "terms": ["saturat", "饱和"]},
    {"en": "The chain rule multiplies many small factors", "zh": "链式法则把许多小因子相乘",
     "terms": ["chain rule", "链式法则"]},
    {"en": "ReLU or residual connections help", "zh": "ReLU 或残差连接能缓解",
     "terms": ["relu", "residual", "残差"]},
    {"en": "Careful initialisation keeps the scale", "zh": "合适的初始化保持尺度",
     "terms": ["initiali", "初始化"]},
]


def make_topic(slug: str = "basics") -> Topic:
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"title_en": slug.title(), "title_zh": f"{slug}题"})
    return topic


def make_question(*, topic: Topic | None = None, difficulty: int = 2, key_points: list[dict] | None = None,
                  retired: bool = False) -> Question:
    number = next(_numbers)
    return Question.objects.create(
        card_id=f"q-{number}", topic=topic or make_topic(), difficulty=difficulty,
        question_en=f"Question {number} in English?", question_zh=f"第 {number} 题?",
        answer_en=f"Reference answer {number}.", answer_zh=f"参考答案 {number}。",
        answer_html_en=f"<p>Reference answer {number}.</p>", answer_html_zh=f"<p>参考答案 {number}。</p>",
        key_points=KEY_POINTS if key_points is None else key_points, retired=retired, position=number)


def make_questions(count: int, **fields) -> list[Question]:
    return [make_question(**fields) for _ in range(count)]
