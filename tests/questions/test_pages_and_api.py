import pytest

from questions.selectors import question_search, search_terms
from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus


@pytest.fixture
def small_corpus(tmp_path, db):
    folder = write_corpus(tmp_path / "corpus", {
        "activations": [
            card("sigmoid-vanishing", difficulty=1, tags=["sigmoid", "gradients"],
                 question={"en": "Why does sigmoid make gradients vanish?", "zh": "为什么 sigmoid 会导致梯度消失？"}),
            card("relu-pros-cons", difficulty=2, tags=["relu"],
                 question={"en": "Pros and cons of ReLU", "zh": "ReLU 的优缺点"},
                 answer={"en": "Dead units can appear.\n", "zh": "会出现神经元死亡。\n"}),
        ],
        "cnn": [card("pooling-purpose", difficulty=3, tags=["pooling"], demos=["D12"],
                     question={"en": "What is pooling for?", "zh": "池化层有什么作用？"},
                     answer={"en": "Local invariance.\n", "zh": "带来局部不变性。\n"})],
    })
    corpus_load(folder=folder)


def test_it_turns_chinese_queries_into_bigrams_without_their_question_words():
    assert search_terms("梯度消失的原因") == ["梯度", "度消", "消失", "原因"]
    assert search_terms("ReLU 优缺点") == ["relu", "优缺", "缺点"]
    assert search_terms("dropout 为什么有效？") == ["dropout", "有效"]
    assert search_terms("为什么") == ["为什", "什么"]  # nothing else to search for
    assert search_terms("ＲｅＬＵ 的作用") == ["relu", "作用"]  # full-width letters, as a Chinese keyboard types them


def test_it_lets_the_subject_of_a_chinese_question_decide_what_comes_first(db):
    corpus_load()  # the real corpus: its common words are what the ranking must see past
    expected = {"dropout 为什么有效": "dropout-inverted-scaling", "BN 的作用": "batchnorm-effects-and-why-it-works",
                "池化的作用": "pooling-types-and-role"}
    assert {query: question_search(query=query)[0].card_id for query in expected} == expected
    assert all("bn" in question.search_text for question in question_search(query="BN 的作用"))  # 作用 only ranks
    assert question_search(query="ＲｅＬＵ") == question_search(query="relu") != []


def test_it_drops_the_words_every_question_has_from_english_queries():
    assert search_terms("What is the pooling for?") == ["pooling"]
    assert search_terms("what is the") == ["what", "is", "the"]  # nothing else to search for


def test_it_matches_english_words_from_the_start_of_a_word(small_corpus):
    assert [q.card_id for q in question_search(query="uni")] == ["relu-pros-cons"]  # "units"
    assert question_search(query="nits") == []  # inside "units", not a word of its own
    assert [q.card_id for q in question_search(query="What is pooling for?")] == ["pooling-purpose"]


def test_it_finds_chinese_by_substring_not_whole_words(small_corpus):
    assert [q.card_id for q in question_search(query="梯度消失")] == ["sigmoid-vanishing"]
    assert [q.card_id for q in question_search(query="神经元死亡")] == ["relu-pros-cons"]
    assert [q.card_id for q in question_search(query="池化的作用")] == ["pooling-purpose"]


def test_it_finds_english_and_honours_filters(small_corpus):
    assert [q.card_id for q in question_search(query="vanish")] == ["sigmoid-vanishing"]
    assert question_search(query="pooling", topic="activations") == []
    assert [q.card_id for q in question_search(query="relu", difficulty=2)] == ["relu-pros-cons"]


def test_it_lists_counts_on_the_topic_page(client, small_corpus):
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.get("/questions/").content.decode()
    assert "Activation functions" in html and "2 questions" in html and "1 question" in html


def test_it_filters_the_question_list_by_tag_and_difficulty(client, small_corpus):
    html = client.get("/questions/all/?tag=pooling").content.decode()
    assert "/questions/pooling-purpose/" in html and "/questions/relu-pros-cons/" not in html
    html = client.get("/questions/all/?difficulty=1").content.decode()
    assert "/questions/sigmoid-vanishing/" in html and "/questions/pooling-purpose/" not in html


def test_it_answers_400_with_a_message_to_a_bad_filter_and_keeps_the_rest(client, small_corpus):
    response = client.get("/questions/all/?q=relu&difficulty=9&topic=cnn")
    assert response.status_code == 400
    assert response.context["form"].errors["difficulty"]
    html = response.content.decode()
    assert '<option value="cnn" selected>' in html and "relu" in html.split("</h1>")[0]


def test_it_renders_both_languages_and_demo_links_on_the_question_page(client, small_corpus):
    response = client.get("/questions/pooling-purpose/")
    html = response.content.decode()
    assert "池化层有什么作用？" in html and "What is pooling for?" in html
    assert "D12" in html
    math = client.get("/questions/sigmoid-vanishing/").content.decode()
    assert '<span class="math inline">\\sigma(z)(1-\\sigma(z))</span>' in math
    assert client.get("/questions/no-such-card/").status_code == 404


def test_it_lists_topics_and_questions_through_the_api(api_client, small_corpus):
    topics = api_client.get("/api/topics/").json()
    assert [(t["slug"], t["question_count"]) for t in topics] == [("activations", 2), ("cnn", 1)]
    page = api_client.get("/api/questions/?topic=cnn").json()
    assert [q["id"] for q in page["results"]] == ["pooling-purpose"]
    one = api_client.get("/api/questions/pooling-purpose/").json()
    assert one["demos"] == ["D12"] and one["key_points"][0]["terms"] == ["term0"]
    found = api_client.get("/api/questions/", {"q": "梯度消失"}).json()
    assert [q["id"] for q in found["results"]] == ["sigmoid-vanishing"]


def test_it_refuses_a_bad_filter_through_the_api(api_client, small_corpus):
    response = api_client.get("/api/questions/?difficulty=7")
    assert response.status_code == 400
    assert "difficulty" in response.json()


def test_it_keeps_the_api_read_only(alice_api, small_corpus):
    assert alice_api.post("/api/questions/", {"id": "x"}).status_code == 405
    assert alice_api.delete("/api/questions/pooling-purpose/").status_code == 405


def test_it_finds_the_key_cards_of_the_new_topics_in_both_languages(db):
    corpus_load()
    key_cards = {"LoRA": "lora-qlora-low-rank-adaptation", "低秩适配": "lora-qlora-low-rank-adaptation",
                 "speculative decoding": "speculative-decoding-draft-verify",
                 "投机解码": "speculative-decoding-draft-verify",
                 "mixture of experts": "mixture-of-experts-routing-load-balancing",
                 "混合专家": "mixture-of-experts-routing-load-balancing",
                 "RAG": "retrieval-augmented-generation-pipeline",
                 "检索增强生成": "retrieval-augmented-generation-pipeline",
                 "缩放定律": "scaling-laws-kaplan-vs-chinchilla",
                 "VAE ELBO": "vae-elbo-derivation", "变分自编码器": "vae-elbo-derivation",
                 "GAN mode collapse": "gan-mode-collapse-training-instability",
                 "classifier-free guidance": "classifier-free-guidance-diffusion",
                 "无分类器引导": "classifier-free-guidance-diffusion",
                 "FID": "generative-model-evaluation-is-fid-precision-recall",
                 "NMS": "nms-and-soft-nms", "非极大值抑制": "nms-and-soft-nms",
                 "匈牙利匹配": "detr-set-prediction-hungarian-matching", "detection mAP": "detection-map-voc-vs-coco",
                 "U-Net": "fcn-unet-encoder-decoder-segmentation", "语义分割": "fcn-unet-encoder-decoder-segmentation",
                 "ArcFace": "metric-learning-triplet-vs-arcface-margin",
                 "pruning": "pruning-magnitude-structured-nm-sparsity",
                 "剪枝": "pruning-magnitude-structured-nm-sparsity",
                 "彩票假设": "lottery-ticket-hypothesis-rewinding", "量化感知训练": "ptq-vs-qat-fake-quantization-ste",
                 "roofline": "flops-vs-latency-roofline-arithmetic-intensity",
                 "算子融合": "onnx-tensorrt-operator-fusion-bn-folding",
                 "GNN": "gnn-message-passing-gcn-graphsage-gat", "图神经网络": "gnn-message-passing-gcn-graphsage-gat",
                 "adversarial examples": "adversarial-examples-fgsm-pgd-adversarial-training",
                 "对抗样本": "adversarial-examples-fgsm-pgd-adversarial-training",
                 "MAML": "few-shot-zero-shot-prototypical-maml", "小样本": "few-shot-zero-shot-prototypical-maml",
                 "积分梯度": "integrated-gradients-saliency-shap-attribution",
                 "CTC": "ctc-loss-alignment-free-training", "RMSProp": "adagrad-rmsprop-per-parameter-rates",
                 "随机深度": "stochastic-depth-drop-path", "课程学习": "curriculum-learning-when-it-helps"}
    top_three = {query: [q.card_id for q in question_search(query=query)[:3]] for query in key_cards}
    assert {query: card in top_three[query] for query, card in key_cards.items()} == dict.fromkeys(key_cards, True)
