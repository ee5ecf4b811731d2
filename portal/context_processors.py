from django.conf import settings


def portal(request):
    return {"quick_exit_url": settings.SAYSO_QUICK_EXIT_URL}
