from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


queue = intake = my_work = portal = status_lookup = detail = _todo
