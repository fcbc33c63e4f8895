"""Test settings for a daphne whose channel layer holds only a few events per socket (the capacity fault)."""

from cxhub.settings.test import *  # noqa: F403
from cxhub.settings.test import CHANNEL_LAYERS

CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = 4
