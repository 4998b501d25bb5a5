"""Development: `werker dev` runs `manage.py runserver` with these."""
from .settings import *  # noqa: F401,F403

DEBUG = True
ALLOWED_HOSTS = ['*']
