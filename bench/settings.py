"""Production settings for the bench server when `collectstatic` cannot build the static manifest.

Identical to servicedesk.settings except that `{% static %}` resolves plain names instead of the manifest's
hashed ones; the bench never fetches static files, so the figures do not change. run.py uses this only
after collectstatic failed, and says so in its report.
"""

from servicedesk.settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
