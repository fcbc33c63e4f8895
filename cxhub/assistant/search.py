"""Self-service: a visitor searches the site's published articles themselves, with no chat partner and no AI reply."""

from cxhub.conversations.models import Conversation
from cxhub.conversations.services import ConversationError

from .answerer import relevant_articles
from .retrieval import published_articles
from .services import knowledge_base_for_site

SEARCH_MAX_CHARS = 300
SEARCH_RESULTS = 5
# The answerer's calibrated confidence that an article is the one meant. Far below the threshold for the AI to
# speak (a visitor reading a list can skip a near miss), but above what words with no article behind them get,
# so a junk query shows "nothing found" instead of five random articles.
SEARCH_MIN_CONFIDENCE = 0.2


def search_query_clean(query: object) -> str:
    if not isinstance(query, str):
        raise ConversationError("query_invalid", "A search must be text.")
    query = " ".join(query.split())
    if not query:
        raise ConversationError("query_empty", "Type a few words to search.")
    if len(query) > SEARCH_MAX_CHARS:
        raise ConversationError("query_too_long", f"Searches are limited to {SEARCH_MAX_CHARS} characters.")
    return query


def visitor_articles_search(*, conversation_id: int, query: object) -> list[dict]:
    """Up to five published articles of the conversation's site for the query, best first, in the visitor's
    language when the knowledge base has it. Reads only: nothing is posted to the conversation."""
    query = search_query_clean(query)
    conversation = Conversation.objects.select_related("site__knowledge_base").get(pk=conversation_id)
    knowledge_base = knowledge_base_for_site(conversation.site)
    if not published_articles(knowledge_base).exists():
        return []
    found = relevant_articles(query, knowledge_base=knowledge_base, k=SEARCH_RESULTS, locale=conversation.locale)
    return [
        {
            "slug": result.article.slug,
            "title": result.article.title,
            "answer": result.article.answer,
            "locale": result.article.locale,
        }
        for result in sorted(found, key=lambda r: r.confidence, reverse=True)
        if result.confidence >= SEARCH_MIN_CONFIDENCE
    ][:SEARCH_RESULTS]
