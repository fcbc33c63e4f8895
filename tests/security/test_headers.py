"""Our pages carry a Content-Security-Policy without inline scripts, and the usual secure headers."""

import json
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cxhub.stack import ROOT
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    factories.site_create()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client = Client()
    client.force_login(admin)
    return client


PAGES = [
    "/",
    "/staff/login/",
    "/staff/",
    "/staff/dashboard/",
    "/admin/",
    "/admin/login/",
    "/admin/conversations/conversation/",
]


def policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", PAGES)
def test_each_page_has_a_strict_policy_and_secure_headers(staff_client, path):
    response = staff_client.get(path, follow=True)

    assert response.status_code == 200
    csp = policy(response)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES)
def test_every_inline_script_and_style_carries_this_responses_nonce(staff_client, path):
    response = staff_client.get(path, follow=True)
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)

    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    executable = [tag for tag in inline_scripts if 'type="application/json"' not in tag]
    assert all(f'nonce="{nonce}"' in tag for tag in executable), executable
    if not path.startswith("/admin/"):
        assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<style\b[^>]*>", html))
        assert not re.search(r"\sstyle=", html), "an inline style attribute would be blocked by style-src"
        assert not re.search(r"\son[a-z]+=", html), "inline event handlers are blocked by script-src"


def test_the_nonce_changes_on_every_response(staff_client):
    first, second = staff_client.get("/"), staff_client.get("/")
    assert policy(first)["script-src"] != policy(second)["script-src"]


def test_the_widget_api_is_not_a_page_and_can_be_read_cross_origin():
    site = factories.site_create()
    response = Client().post(
        "/api/widget/sessions",
        {"site_key": site.key},
        content_type="application/json",
        headers={"origin": factories.SHOP_ORIGIN},
    )

    assert response.status_code == 201
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Access-Control-Allow-Origin"] == factories.SHOP_ORIGIN


def test_production_settings_turn_on_hsts_and_secure_cookies():
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG]))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "cxhub.settings.production", "DJANGO_SECRET_KEY": "x" * 50, "PATH": "/usr/bin"}
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    hsts, session_secure, csrf_secure, debug = json.loads(out.stdout.strip().splitlines()[-1])
    assert hsts >= 31536000 and session_secure and csrf_secure and not debug
