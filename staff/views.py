"""The staff console page; everything live happens over /ws/staff/."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from cxhub.conversations.selectors import agent_display_name


@staff_member_required(login_url="/staff/login/")
def console(request):
    return render(request, "staff/console.html", {"agent_name": agent_display_name(request.user)})
