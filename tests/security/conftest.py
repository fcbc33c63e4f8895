import uuid

import pytest


@pytest.fixture
def rate_limits(settings):
    """Rate limits on, small, and in buckets of this test's own (every test talks from one IP to one Redis)."""
    settings.RATE_LIMIT_ENABLED = True
    settings.RATE_LIMIT_KEY_PREFIX = f"rl-test-{uuid.uuid4().hex}"
    settings.RATE_LIMIT_VISITOR_MESSAGES = "5/60"
    settings.RATE_LIMIT_VISITOR_FRAMES = "1000/60"
    settings.RATE_LIMIT_IP = "1000/60"
    settings.RATE_LIMIT_IP_SESSIONS = "1000/60"
    return settings
