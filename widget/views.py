"""The demo shop page that embeds the widget with one script tag."""

from django.shortcuts import render

from cxhub.conversations.models import Site


def demo_page(request):
    site = Site.objects.order_by("pk").first()
    return render(request, "widget/demo.html", {"site_key": site.key if site else ""})
