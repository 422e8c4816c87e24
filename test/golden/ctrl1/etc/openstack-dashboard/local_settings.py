# Managed by cairn: changes here are overwritten on the next deploy.
import os

DEBUG = False
WEBROOT = '/'
ALLOWED_HOSTS = ['*']
LOCAL_PATH = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = 'horizon-secret-key'

# Sessions live in the control host's memcached, shared by every Apache process.
SESSION_ENGINE = 'django.contrib.sessions.backends.cache'
CACHES = {
    'default': {
        'BACKEND': 'django.core.cache.backends.memcached.PyMemcacheCache',
        'LOCATION': '198.18.10.11:11211',
    },
}

OPENSTACK_HOST = '198.18.10.11'
OPENSTACK_KEYSTONE_URL = 'http://198.18.10.11:5000/v3'
OPENSTACK_API_VERSIONS = {
    'identity': 3,
}
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

TIME_ZONE = 'UTC'
EMAIL_BACKEND = 'django.core.mail.backends.console.EmailBackend'
