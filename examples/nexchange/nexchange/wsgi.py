"""WSGI entry point: gunicorn serves nexchange.wsgi:application."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'nexchange.settings_prod')

application = get_wsgi_application()
