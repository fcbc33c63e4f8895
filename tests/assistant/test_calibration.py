"""The threshold comes from the admin's target precision, measured on the KB's own held-out questions."""

import pytest

from cxhub.assistant.answerer import answer_question
from cxhub.assistant.calibration import (
    answer_policy,
    held_out_questions,
    knowledge_base_calibrate,
    threshold_for_precision,
)
from cxhub.assistant.models import Article
from cxhub.assistant.retrieval import published_articles
from cxhub.assistant.services import knowledge_base_changed
from tests import factories

pytestmark = pytest.mark.django_db


def calibrated_demo(target: float = 0.95):
    knowledge_base = factories.demo_knowledge_base_create()
    knowledge_base.target_precision = target
    knowledge_base.save()
    return knowledge_base_calibrate(knowledge_base_id=knowledge_base.pk)


def test_threshold_is_the_lowest_confidence_that_keeps_the_target_precision():
    # given answers ranked by confidence: the top four right, then one wrong, then right, then wrong
    scored = [(0.99, True), (0.95, True), (0.9, True), (0.85, True), (0.8, False), (0.7, True), (0.6, False)]

    assert threshold_for_precision(scored, 1.0) == 0.85
    assert threshold_for_precision(scored, 0.8) == 0.7  # 5 right of 6; adding the last makes 5 of 7
    assert threshold_for_precision([(0.9, False)], 0.9) is None


def test_calibration_records_threshold_coverage_and_precision_for_the_current_version():
    knowledge_base = calibrated_demo(0.95)

    assert knowledge_base.calibration_is_current
    assert 0.5 <= knowledge_base.threshold < 1.0
    assert 0.0 < knowledge_base.expected_coverage <= 1.0
    assert knowledge_base.expected_precision >= 0.95
    assert knowledge_base.calibration["held_out_in_scope"] >= 50
    assert knowledge_base.calibration["held_out_out_of_scope"] > 0


def test_each_answer_records_the_derived_threshold_and_target():
    knowledge_base = calibrated_demo(0.95)

    answer = answer_question("How long does delivery take?", locale="en")

    assert answer.calibrated
    assert answer.threshold == knowledge_base.threshold
    assert answer.target_precision == 0.95
    assert answer.article_slug == "shipping-times"
    assert answer.confidence >= answer.threshold


def test_a_stricter_target_never_lowers_the_threshold_or_raises_coverage():
    lenient = calibrated_demo(0.80)
    lenient_threshold, lenient_coverage = lenient.threshold, lenient.expected_coverage
    lenient.target_precision = 0.99
    lenient.save()
    lenient.calibrated_version = None
    lenient.save()

    strict = knowledge_base_calibrate(knowledge_base_id=lenient.pk)

    assert strict.threshold >= lenient_threshold
    assert strict.expected_coverage <= lenient_coverage


@pytest.mark.parametrize(
    "question", ["Do you sell cars?", "What's the weather on Mars?", "asdfgh", "Quel est le sens de la vie ?"]
)
def test_calibrated_bot_steps_aside_on_questions_outside_the_knowledge_base(question):
    calibrated_demo(0.95)

    assert answer_question(question, locale="en").abstained


def test_confidence_means_what_it_says_on_held_out_questions():
    knowledge_base = calibrated_demo(0.95)
    policy = answer_policy(knowledge_base)

    held_out = held_out_questions(list(published_articles(knowledge_base)), seed=1)
    confidences = [policy.confidence(h.evidence) for h in held_out]
    expected_right = sum(confidences) / len(confidences)
    actually_right = sum(h.correct for h in held_out) / len(held_out)

    assert abs(expected_right - actually_right) < 0.1


def test_an_article_edit_marks_the_calibration_stale_until_recalibrated():
    knowledge_base = calibrated_demo(0.95)
    old_version = knowledge_base.version
    article = Article.objects.get(slug="shipping-times")
    article.questions = [*article.questions, "Is delivery fast?"]
    article.save()
    knowledge_base_changed(knowledge_base_id=knowledge_base.pk)
    knowledge_base.refresh_from_db()

    assert answer_policy(knowledge_base).stale
    # a late task for the old version does nothing; the one for the new version catches up
    assert (
        knowledge_base_calibrate(knowledge_base_id=knowledge_base.pk, version=old_version).calibration_is_current
        is False
    )
    assert knowledge_base_calibrate(
        knowledge_base_id=knowledge_base.pk, version=knowledge_base.version
    ).calibration_is_current


def test_a_knowledge_base_too_small_to_measure_keeps_the_default_threshold(settings):
    knowledge_base = factories.knowledge_base_create()[0].knowledge_base
    Article.objects.exclude(slug="shipping-times").delete()
    knowledge_base_changed(knowledge_base_id=knowledge_base.pk)

    knowledge_base = knowledge_base_calibrate(knowledge_base_id=knowledge_base.pk)

    assert knowledge_base.threshold is None
    policy = answer_policy(knowledge_base)
    assert not policy.calibrated and policy.threshold == settings.ASSISTANT_MIN_CONFIDENCE
    assert answer_question("How long does shipping take?", locale="en").article_slug == "shipping-times"
