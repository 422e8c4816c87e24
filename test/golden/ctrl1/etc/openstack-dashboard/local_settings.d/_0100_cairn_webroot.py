# Managed by cairn: changes here are overwritten on the next deploy.
# Horizon reads local_settings.d after local_settings.py, in name order: Debian's
# _0005_debian_webroot.py sets WEBROOT = "/horizon", but cairn's Apache site serves the
# dashboard at the root, so the login redirect would leave the site. This file comes later.
WEBROOT = '/'
