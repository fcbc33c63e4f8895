"""Twilio's request signature: base64(HMAC-SHA1(auth token, URL + each POST parameter name and value, sorted by
name)). The same function signs in tests and checks in the webhook."""

import base64
import hashlib
import hmac
from collections.abc import Mapping


def twilio_signature(*, auth_token: str, url: str, params: Mapping[str, list[str]]) -> str:
    payload = url
    for name in sorted(params):
        for value in sorted(set(params[name])):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(*, auth_token: str, url: str, params: Mapping[str, list[str]], signature: str) -> bool:
    if not auth_token or not signature:
        return False
    expected = twilio_signature(auth_token=auth_token, url=url, params=params)
    return hmac.compare_digest(expected.encode(), signature.encode())
