"""Production: `werker build` runs the tests with these, and /entrypoint.sh starts gunicorn with them."""
from .settings import *  # noqa: F401,F403

DEBUG = False
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = 'DENY'
