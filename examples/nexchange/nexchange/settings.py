"""Settings shared by settings_dev and settings_prod.

The database is the PostGIS service of the pipeline (or, deployed, the container linked as
`postgis`). Its address comes from wercker's link variables POSTGIS_PORT_5432_TCP_ADDR/_PORT,
else POSTGIS_HOST/POSTGIS_DB_PORT, else the link alias `postgis` on port 5432 (docker sets link
variables only on its default bridge network; on a user-defined network the alias still
resolves). The credentials are the reference user's names: POSTGIS_ENV_POSTGRES_USER,
POSTGIS_ENV_POSTGRES_PASSWORD, POSTGIS_ENV_POSTGRES_DB — the link variables of the service's
POSTGRES_* env in a pipeline, exported by /entrypoint.sh in the image.
"""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env(*names, default=''):
    """The first of `names` that is set and non-empty in the environment, else `default`."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


SECRET_KEY = env('DJANGO_SECRET_KEY', default='nexchange-example-key-not-secret')
DEBUG = False
ALLOWED_HOSTS = env('DJANGO_ALLOWED_HOSTS', default='*').split(',')

# No django.contrib.admin: Debian's python3-django links the admin's jQuery to libjs-jquery,
# which the box image (werker-test/python-django) does not install, so collectstatic would
# fail on the dangling link. The pipelines' superuser needs only django.contrib.auth.
INSTALLED_APPS = [
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'django.contrib.gis',
    'ticker',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
]

ROOT_URLCONF = 'nexchange.urls'
WSGI_APPLICATION = 'nexchange.wsgi.application'

TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'DIRS': [],
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.debug',
                'django.template.context_processors.request',
                'django.contrib.auth.context_processors.auth',
                'django.contrib.messages.context_processors.messages',
            ],
        },
    },
]

DATABASES = {
    'default': {
        'ENGINE': 'django.contrib.gis.db.backends.postgis',
        'HOST': env('POSTGIS_PORT_5432_TCP_ADDR', 'POSTGIS_HOST', default='postgis'),
        'PORT': env('POSTGIS_PORT_5432_TCP_PORT', 'POSTGIS_DB_PORT', default='5432'),
        'NAME': env('POSTGIS_ENV_POSTGRES_DB', default='nexchange'),
        'USER': env('POSTGIS_ENV_POSTGRES_USER', default='nexchange'),
        'PASSWORD': env('POSTGIS_ENV_POSTGRES_PASSWORD'),
    }
}

DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

LANGUAGE_CODE = 'en-gb'
TIME_ZONE = 'UTC'
USE_I18N = True
USE_L10N = True
USE_TZ = True

# The pipelines create these (`create static and media root`); nginx serves them in production.
STATIC_URL = '/static/'
STATIC_ROOT = '/usr/share/nginx/html/static'
MEDIA_URL = '/media/'
MEDIA_ROOT = '/usr/share/nginx/html/media'
# Front-end packages (bower's job in 2016): `npm install` in static/ puts them here, and
# collectstatic copies them next to the apps' own static files.
STATICFILES_DIRS = [os.path.join(BASE_DIR, 'static', 'node_modules')]

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'WARNING'},
}
