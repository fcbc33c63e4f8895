"""The staff console page; everything live happens over /ws/staff/."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from cxhub.conversations.access import staff_access
from cxhub.conversations.selectors import agent_display_name
from cxhub.reporting.selectors import dashboard_filters


@staff_member_required(login_url="/staff/login/")
def console(request):
    context = {
        "agent_name": agent_display_name(request.user),
        # Only decides whether the Dashboard link shows; the dashboard checks the role itself.
        "is_supervisor": staff_access(request.user).sees_all,
    }
    return render(request, "staff/console.html", context)


@staff_member_required(login_url="/staff/login/")
def dashboard(request):
    """Supervisors' figures; the data comes from /api/staff/metrics, which checks the role again."""
    if not staff_access(request.user).sees_all:
        raise PermissionDenied("The dashboard is for supervisors.")
    context = {"agent_name": agent_display_name(request.user), **dashboard_filters()}
    return render(request, "staff/dashboard.html", context)
