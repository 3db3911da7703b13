"""The rows tests need, made directly in the database: learners, topics and questions. Made here, not
loaded from the corpus, so no test depends on the corpus's content."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from questions.models import Question, Topic

PASSWORD = "correct-horse-battery"
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


def make_user(username: str, **fields):
    """A learner whose e-mail is username@example.org and whose password is PASSWORD."""
    return get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD, **fields)


def make_topic(slug: str = "basics", **fields) -> Topic:
    """The topic of that slug, made the first time it is asked for."""
    defaults = {"title_en": slug.title(), "title_zh": f"{slug}题", **fields}
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults=defaults)
    return topic


def make_question(*, topic: Topic | str = "basics", **fields) -> Question:
    """A question with a unique card ID (q-<number>), texts that name that number, and KEY_POINTS; `fields`
    set any other column (difficulty, retired, owner, the texts)."""
    number = next(_numbers)
    return Question.objects.create(**{
        "card_id": f"q-{number}", "topic": make_topic(topic) if isinstance(topic, str) else topic,
        "difficulty": 2, "position": number,
        "question_en": f"Question {number} in English?", "question_zh": f"第 {number} 题？",
        "answer_en": f"Reference answer {number}.", "answer_zh": f"参考答案 {number}。",
        "answer_html_en": f"<p>Reference answer {number}.</p>", "answer_html_zh": f"<p>参考答案 {number}。</p>",
        "key_points": KEY_POINTS, **fields})


def make_questions(count: int, **fields) -> list[Question]:
    return [make_question(**fields) for _ in range(count)]
