"""Knowledge base articles as JSON Lines files: validate, import (upsert by slug) and export them.

One article per line, keys in this order (export writes them so; import accepts any order):
    {"slug": "shipping-times", "title": "...", "answer": "...", "questions": ["...", ...],
     "locale": "en", "tags": ["shipping"], "body": "...", "status": "published"}
`slug`, `title`, `answer` and `questions` are required; `locale` defaults to "en", `tags` to [], `body` to "",
`status` to "published". Blank lines are skipped.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from .models import Article, KnowledgeBase
from .services import knowledge_base_changed

REQUIRED_KEYS = ("slug", "title", "answer", "questions")
OPTIONAL_KEYS = ("locale", "tags", "body", "status")
KEY_ORDER = ("slug", "title", "answer", "questions", "locale", "tags", "body", "status")
LOCALES = tuple(code for code, _ in Article._meta.get_field("locale").choices)
STATUSES = tuple(Article.Status.values)
SLUG_MAX = Article._meta.get_field("slug").max_length
TITLE_MAX = Article._meta.get_field("title").max_length
DEFAULT_STATUS = Article.Status.PUBLISHED

# The fields a file owns: an article whose fields all match its line is left alone, so re-importing a file
# neither rewrites rows nor bumps the knowledge base version (which would rebuild every index and recalibrate).
CONTENT_FIELDS = ("title", "answer", "body", "questions", "locale", "tags", "status")

# Each chunk is written with one bulk statement per kind and reported to `progress`.
CHUNK_ARTICLES = 100


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ArticleLine:
    line: int
    slug: str
    title: str
    answer: str
    questions: list[str]
    locale: str = "en"
    tags: list[str] = field(default_factory=list)
    body: str = ""
    status: str = DEFAULT_STATUS

    def content(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "answer": self.answer,
            "body": self.body,
            "questions": self.questions,
            "locale": self.locale,
            "tags": self.tags,
            "status": self.status,
        }


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    questions: int

    @property
    def articles(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class KnowledgeBaseImportError(Exception):
    """The file had invalid lines; nothing was imported."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid line(s), nothing imported; first: {errors[0]}")


def _quoted(keys: Iterable[str]) -> str:
    return ", ".join(f'"{key}"' for key in keys)


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _text_problem(item: dict, key: str, *, required: bool, max_length: int | None = None) -> str | None:
    if key not in item:
        return f'"{key}" is missing' if required else None
    value = item[key]
    if not isinstance(value, str):
        return f'"{key}" must be a string, got {_json_type(value)}'
    if required and not value.strip():
        return f'"{key}" must not be empty'
    if max_length is not None and len(value) > max_length:
        return f'"{key}" is {len(value)} characters long, at most {max_length} allowed'
    return None


def _string_list_problem(item: dict, key: str, *, required: bool, allow_empty_items: bool) -> str | None:
    if key not in item:
        return f'"{key}" is missing (use [] for none)' if required else None
    value = item[key]
    if not isinstance(value, list):
        return f'"{key}" must be a list of strings, got {_json_type(value)}'
    for index, entry in enumerate(value, start=1):
        if not isinstance(entry, str):
            return f'"{key}" must be a list of strings, item {index} is {_json_type(entry)}'
        if not allow_empty_items and not entry.strip():
            return f'"{key}" item {index} is empty'
    return None


def _line_problems(item: dict) -> list[str]:
    problems = []
    unknown = [key for key in item if key not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if unknown:
        problems.append(f"unknown key(s) {_quoted(unknown)}; allowed: {_quoted(KEY_ORDER)}")

    slug_problem = _text_problem(item, "slug", required=True, max_length=SLUG_MAX)
    if slug_problem is None:
        try:
            validate_slug(item["slug"])
        except ValidationError:
            slug_problem = f'"slug" may only hold letters, digits, "-" and "_", got {json.dumps(item["slug"])}'
    problems += [
        problem
        for problem in (
            slug_problem,
            _text_problem(item, "title", required=True, max_length=TITLE_MAX),
            _text_problem(item, "answer", required=True),
            _text_problem(item, "body", required=False),
            _string_list_problem(item, "questions", required=True, allow_empty_items=False),
            _string_list_problem(item, "tags", required=False, allow_empty_items=True),
        )
        if problem
    ]
    if "locale" in item and item["locale"] not in LOCALES:
        problems.append(f'"locale" must be one of {_quoted(LOCALES)}, got {json.dumps(item["locale"])}')
    if "status" in item and item["status"] not in STATUSES:
        problems.append(f'"status" must be one of {_quoted(STATUSES)}, got {json.dumps(item["status"])}')
    return problems


def kb_lines_validate(lines: Iterable[str]) -> tuple[list[ArticleLine], list[LineError]]:
    """Check every line (1-based numbers, blank lines counted but skipped) and report every problem found,
    so an admin can fix a whole file in one pass."""
    articles: list[ArticleLine] = []
    errors: list[LineError] = []
    first_line_of_slug: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(item, dict):
            errors.append(LineError(number, f"must be a JSON object, got {_json_type(item)}"))
            continue

        problems = _line_problems(item)
        slug = item.get("slug")
        if isinstance(slug, str):
            if slug in first_line_of_slug:
                problems.append(f'duplicate slug "{slug}", also on line {first_line_of_slug[slug]}')
            else:
                first_line_of_slug[slug] = number
        if problems:
            errors += [LineError(number, problem) for problem in problems]
            continue
        articles.append(
            ArticleLine(
                line=number,
                slug=item["slug"],
                title=item["title"],
                answer=item["answer"],
                questions=item["questions"],
                locale=item.get("locale", "en"),
                tags=item.get("tags", []),
                body=item.get("body", ""),
                status=item.get("status", DEFAULT_STATUS),
            )
        )
    return articles, errors


def knowledge_base_import(
    *,
    knowledge_base: KnowledgeBase,
    lines: Iterable[str],
    approved_by: AbstractBaseUser | None = None,
    draft: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update the file's articles in `knowledge_base`, matched by slug, all or nothing.

    Raises KnowledgeBaseImportError (importing nothing) if any line is invalid. Articles not in the file are left
    alone. With `draft`, every article is imported as a draft whatever its line says, so nothing goes live
    unreviewed. `progress(done, total)` is called after each chunk of articles is written.
    """
    articles, errors = kb_lines_validate(lines)
    if errors:
        raise KnowledgeBaseImportError(errors)

    total = len(articles)
    created = updated = 0
    with transaction.atomic():
        # Serialises imports into the same knowledge base: two of them creating one slug would otherwise collide.
        KnowledgeBase.objects.select_for_update().only("pk").get(pk=knowledge_base.pk)
        existing = {article.slug: article for article in Article.objects.filter(knowledge_base=knowledge_base)}
        now = timezone.now()
        for start in range(0, total, CHUNK_ARTICLES):
            to_create: list[Article] = []
            to_update: list[Article] = []
            for line in articles[start : start + CHUNK_ARTICLES]:
                content = line.content()
                if draft:
                    content["status"] = Article.Status.DRAFT
                # Whoever imports new content is the one who approved it; a draft is approved by nobody yet.
                approver = approved_by if content["status"] == Article.Status.PUBLISHED else None
                article = existing.get(line.slug)
                if article is None:
                    to_create.append(
                        Article(knowledge_base=knowledge_base, slug=line.slug, approved_by=approver, **content)
                    )
                elif any(getattr(article, name) != value for name, value in content.items()):
                    for name, value in content.items():
                        setattr(article, name, value)
                    article.approved_by = approver
                    # bulk_update skips auto_now, so the edit time is set by hand.
                    article.updated_at = now
                    to_update.append(article)
            Article.objects.bulk_create(to_create)
            Article.objects.bulk_update(to_update, [*CONTENT_FIELDS, "approved_by", "updated_at"])
            created += len(to_create)
            updated += len(to_update)
            if progress is not None:
                progress(min(start + CHUNK_ARTICLES, total), total)
        if created or updated:
            knowledge_base_changed(knowledge_base_id=knowledge_base.pk)
    return ImportReport(
        created=created,
        updated=updated,
        unchanged=total - created - updated,
        questions=sum(len(line.questions) for line in articles),
    )


def knowledge_base_export(*, knowledge_base: KnowledgeBase, stream: TextIO, include_drafts: bool = True) -> int:
    """Write the knowledge base's articles, one JSON object per line in slug order; returns how many.

    Importing the result back into the same knowledge base changes nothing."""
    queryset = Article.objects.filter(knowledge_base=knowledge_base).order_by("slug")
    if not include_drafts:
        queryset = queryset.filter(status=Article.Status.PUBLISHED)
    count = 0
    for article in queryset.iterator():
        item = {
            "slug": article.slug,
            "title": article.title,
            "answer": article.answer,
            "questions": article.questions,
            "locale": article.locale,
            "tags": article.tags,
        }
        if article.body:
            item["body"] = article.body
        item["status"] = article.status
        stream.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count
