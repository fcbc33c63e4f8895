"""Knowledge base files: an admin's JSON Lines import is all-or-nothing, idempotent by slug, and round-trips."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cxhub.assistant.kb_files import (
    KnowledgeBaseImportError,
    LineError,
    kb_lines_validate,
    knowledge_base_import,
)
from cxhub.assistant.models import Article, KnowledgeBase
from cxhub.assistant.services import knowledge_base_default
from tests import factories

pytestmark = pytest.mark.django_db

DEMO_KB = Path(__file__).resolve().parents[2] / "cxhub" / "assistant" / "fixtures" / "demo_kb.jsonl"


def article_line(slug: str, **fields) -> dict:
    return {
        "slug": slug,
        "title": f"About {slug}",
        "answer": f"The answer about {slug}.",
        "questions": [f"What about {slug}?", f"Tell me about {slug}"],
        **fields,
    }


def kb_file_write(path: Path, items: list[dict | str]) -> Path:
    lines = [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_kb(path: Path, *args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("import_kb", str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def export_kb(path: str, *args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("export_kb", path, *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def articles_content() -> dict[str, tuple]:
    fields = ("title", "answer", "body", "questions", "locale", "tags", "status", "updated_at")
    return {article["slug"]: tuple(article[f] for f in fields) for article in Article.objects.values("slug", *fields)}


def kb_version(slug: str = "default") -> int:
    return KnowledgeBase.objects.get(slug=slug).version


def test_export_then_import_round_trips_to_all_unchanged(tmp_path):
    # given the demo knowledge base plus articles using every optional field, including a draft and a U+2028
    # (which json.dumps leaves raw and str.splitlines would wrongly split on)
    import_kb(DEMO_KB)
    extra = kb_file_write(
        tmp_path / "extra.jsonl",
        [
            article_line("gift-cards", body="Long form\nwith two lines.", tags=["gifts", "payments"], locale="fr"),
            article_line("secret-sale", answer="Line one\u2028line two “quoted” é", status="draft", questions=[]),
        ],
    )
    import_kb(extra)
    before = articles_content()
    version = kb_version()

    # when exported and imported back
    export_kb(str(tmp_path / "export.jsonl"))
    stdout, _ = import_kb(tmp_path / "export.jsonl")

    # then nothing changed: not the articles, not the version
    count = len(before)
    assert f"Imported {count} articles" in stdout
    assert f"0 created, 0 updated, {count} unchanged" in stdout
    assert articles_content() == before
    assert kb_version() == version


def test_export_writes_documented_key_order_body_only_when_present_and_status_always(tmp_path):
    # given
    import_kb(kb_file_write(tmp_path / "kb.jsonl", [article_line("a", body="Details."), article_line("b")]))

    # when
    stdout, stderr = export_kb("-")

    # then
    first, second = (json.loads(line) for line in stdout.splitlines())
    assert list(first) == ["slug", "title", "answer", "questions", "locale", "tags", "body", "status"]
    assert list(second) == ["slug", "title", "answer", "questions", "locale", "tags", "status"]
    assert 'Exported 2 articles from "default"' in stderr


def test_export_to_stdout_can_leave_drafts_out(tmp_path):
    # given
    import_kb(kb_file_write(tmp_path / "kb.jsonl", [article_line("live"), article_line("wip", status="draft")]))

    # when
    everything, _ = export_kb("-")
    published, _ = export_kb("-", "--published-only")

    # then
    assert [json.loads(line)["slug"] for line in everything.splitlines()] == ["live", "wip"]
    assert [json.loads(line)["slug"] for line in published.splitlines()] == ["live"]


def test_reimporting_the_same_file_rewrites_nothing_and_keeps_the_version(tmp_path):
    # given
    path = kb_file_write(tmp_path / "kb.jsonl", [article_line("a"), article_line("b"), article_line("c")])
    first, _ = import_kb(path)
    version = kb_version()
    edited_at = dict(Article.objects.values_list("slug", "updated_at"))

    # when
    second, _ = import_kb(path)

    # then
    assert "3 created, 0 updated, 0 unchanged" in first
    assert "0 created, 0 updated, 3 unchanged" in second
    assert kb_version() == version
    assert dict(Article.objects.values_list("slug", "updated_at")) == edited_at


def test_changed_line_updates_its_article_by_slug_and_bumps_the_version(tmp_path):
    # given
    import_kb(kb_file_write(tmp_path / "v1.jsonl", [article_line("a"), article_line("b")]))
    version = kb_version()

    # when
    changed = kb_file_write(tmp_path / "v2.jsonl", [article_line("a"), article_line("b", answer="A better answer.")])
    stdout, _ = import_kb(changed)

    # then
    assert "0 created, 1 updated, 1 unchanged" in stdout
    assert Article.objects.count() == 2
    assert Article.objects.get(slug="b").answer == "A better answer."
    assert kb_version() == version + 1


def test_articles_missing_from_the_file_are_left_alone(tmp_path):
    # given
    import_kb(kb_file_write(tmp_path / "v1.jsonl", [article_line("a"), article_line("b")]))

    # when
    import_kb(kb_file_write(tmp_path / "v2.jsonl", [article_line("c")]))

    # then
    assert sorted(Article.objects.values_list("slug", flat=True)) == ["a", "b", "c"]


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_imported(tmp_path):
    # given a file whose first and last lines are fine
    path = kb_file_write(
        tmp_path / "kb.jsonl",
        [
            article_line("fine"),
            '{"slug": "broken", "title": "Oops",',
            {k: v for k, v in article_line("no-answer").items() if k != "answer"},
            article_line("bad-types", questions="How?", tags=[1]),
            article_line("bad-locale", locale="de"),
            "",
            article_line("fine"),
            article_line("extra", category="faq"),
            article_line("also-fine"),
        ],
    )
    version = kb_version()

    # when
    stderr = StringIO()
    with pytest.raises(CommandError):
        call_command("import_kb", str(path), stdout=StringIO(), stderr=stderr)

    # then
    errors = stderr.getvalue()
    assert "line 2: not valid JSON" in errors
    assert 'line 3: "answer" is missing' in errors
    assert 'line 4: "questions" must be a list of strings, got a string' in errors
    assert 'line 4: "tags" must be a list of strings, item 1 is a number' in errors
    assert 'line 5: "locale" must be one of "en", "fr", got "de"' in errors
    assert 'line 7: duplicate slug "fine", also on line 1' in errors
    assert 'line 8: unknown key(s) "category"' in errors
    assert errors.rstrip().endswith("Nothing imported.")
    assert Article.objects.count() == 0
    assert kb_version() == version


def test_validation_reports_each_problem_as_a_line_error():
    # given
    lines = [
        json.dumps(article_line("Not a slug!")),
        json.dumps(article_line("ok", title="x" * 301, questions=["fine", " "], status="live")),
        "[1, 2]",
        json.dumps(article_line("ok", answer="  ")),
    ]

    # when
    articles, errors = kb_lines_validate(lines)

    # then
    assert articles == []
    assert [str(error) for error in errors] == [
        'line 1: "slug" may only hold letters, digits, "-" and "_", got "Not a slug!"',
        'line 2: "title" is 301 characters long, at most 300 allowed',
        'line 2: "questions" item 2 is empty',
        'line 2: "status" must be one of "draft", "published", got "live"',
        "line 3: must be a JSON object, got a list",
        'line 4: "answer" must not be empty',
        'line 4: duplicate slug "ok", also on line 2',
    ]


def test_service_raises_with_all_errors_and_writes_nothing():
    # given
    knowledge_base = knowledge_base_default()

    # when
    with pytest.raises(KnowledgeBaseImportError) as raised:
        knowledge_base_import(
            knowledge_base=knowledge_base, lines=[json.dumps(article_line("good")), json.dumps({"slug": "x"})]
        )

    # then
    assert raised.value.errors == [
        LineError(2, '"title" is missing'),
        LineError(2, '"answer" is missing'),
        LineError(2, '"questions" is missing (use [] for none)'),
    ]
    assert not Article.objects.exists()


def test_rejected_file_does_not_create_the_knowledge_base(tmp_path):
    # given
    path = kb_file_write(tmp_path / "kb.jsonl", ["not json"])

    # when
    with pytest.raises(CommandError):
        import_kb(path, "--kb", "brand-new")

    # then
    assert not KnowledgeBase.objects.filter(slug="brand-new").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file: .*nowhere.jsonl"):
        import_kb(tmp_path / "nowhere.jsonl")


def test_large_file_of_150_articles_with_100_questions_each_imports(tmp_path):
    # given
    items = [
        article_line(
            f"article-{a}",
            questions=[f"Question {q} about topic {a}, worded a little differently each time?" for q in range(100)],
            tags=[f"topic-{a % 7}"],
            body="Some longer explanation. " * 20,
        )
        for a in range(150)
    ]
    path = kb_file_write(tmp_path / "big.jsonl", items)

    # when (calibration is measured by bench/assistant.py; here the import alone)
    stdout, stderr = import_kb(path, "--no-calibrate")
    print(stdout)

    # then
    assert 'Imported 150 articles (15000 questions) into "default": 150 created, 0 updated, 0 unchanged' in stdout
    assert Article.objects.count() == 150
    assert sum(len(questions) for questions in Article.objects.values_list("questions", flat=True)) == 15_000
    progress_lines = stderr.splitlines()
    assert progress_lines[-1] == "importing articles 150/150"
    assert len(progress_lines) <= 11


def test_lines_without_status_are_published_and_draft_flag_keeps_everything_unpublished(tmp_path):
    # given
    path = kb_file_write(tmp_path / "kb.jsonl", [article_line("plain"), article_line("explicit", status="published")])

    # when
    import_kb(path)
    published = dict(Article.objects.values_list("slug", "status"))
    import_kb(path, "--draft")
    drafted = dict(Article.objects.values_list("slug", "status"))

    # then
    assert published == {"plain": "published", "explicit": "published"}
    assert drafted == {"plain": "draft", "explicit": "draft"}


def test_import_into_another_knowledge_base_leaves_the_default_one_untouched(tmp_path):
    # given
    path = kb_file_write(tmp_path / "kb.jsonl", [article_line("a"), article_line("b")])
    import_kb(path)
    default_version = kb_version()
    default_rows = list(Article.objects.filter(knowledge_base__slug="default").values())

    # when the same slugs, changed, go into a new knowledge base
    changed = kb_file_write(tmp_path / "kb2.jsonl", [article_line("a", answer="Other shop."), article_line("b")])
    stdout, _ = import_kb(changed, "--kb", "outlet-shop")

    # then
    assert 'into "outlet-shop": 2 created' in stdout
    outlet = KnowledgeBase.objects.get(slug="outlet-shop")
    assert outlet.name == "outlet-shop"
    assert outlet.articles.get(slug="a").answer == "Other shop."
    assert kb_version() == default_version
    assert list(Article.objects.filter(knowledge_base__slug="default").values()) == default_rows


def test_service_records_the_approver_and_reports_progress():
    # given
    admin = factories.agent_create(username="ada")
    calls = []

    # when
    report = knowledge_base_import(
        knowledge_base=knowledge_base_default(),
        lines=[json.dumps(article_line("live")), json.dumps(article_line("wip", status="draft"))],
        approved_by=admin,
        progress=lambda done, total: calls.append((done, total)),
    )

    # then
    assert (report.created, report.updated, report.unchanged, report.questions) == (2, 0, 0, 4)
    assert Article.objects.get(slug="live").approved_by == admin
    assert Article.objects.get(slug="wip").approved_by is None
    assert calls[-1] == (2, 2)


def test_import_derives_the_threshold_and_says_what_it_buys():
    # given the demo shop's knowledge base file
    path = Path(__file__).resolve().parents[2] / "cxhub" / "assistant" / "fixtures" / "demo_kb.jsonl"

    # when
    stdout, stderr = import_kb(path)

    # then
    knowledge_base = KnowledgeBase.objects.get(slug="default")
    assert knowledge_base.calibration_is_current and knowledge_base.threshold is not None
    assert f"threshold {knowledge_base.threshold:.3f}" in stdout
    assert "expected coverage" in stdout
    assert "calibrating: held-out fold 12/12" in stderr
