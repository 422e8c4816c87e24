"""Loads each rendered Swift server the way its daemon does (swift's own loadapp, with every
middleware of its pipeline), reading swift.conf and the rings from the directory given.
Usage: swift_load.py SWIFT_DIR. Prints one line per server; exits 1 on the first failure."""
import sys

from swift.common.utils import set_swift_dir
from swift.common.wsgi import loadapp

swift_dir = sys.argv[1]
set_swift_dir(swift_dir)
for name in ("proxy-server", "account-server", "container-server", "object-server"):
    app = loadapp("%s/%s.conf" % (swift_dir, name))
    chain = []
    while app is not None and len(chain) < 40:
        chain.append(type(app).__name__)
        app = getattr(app, "app", None) or getattr(app, "_app", None)
    print("%s: %s" % (name, " > ".join(chain)))
