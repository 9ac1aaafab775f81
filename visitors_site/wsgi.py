import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "visitors_site.settings")

application = get_wsgi_application()

# Import the URLconf, and with it every view, now rather than on a worker's first request:
# the first visitor does not wait for it, and in development gunicorn's reloader watches the
# views from the start (it only watches modules already imported).
import_module(settings.ROOT_URLCONF)
