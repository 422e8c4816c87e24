# cairn verify --tempest, the cloud side: the IDs tempest.conf wants, looked up by the names
# demo provisioning gave them (sent as CAIRN_SPEC, base64 JSON, defined above this text).
# Prints one JSON line: {"ok": true, "imageId", "flavorId", "flavorAltId", "publicNetworkId",
# "networkExtensions"}
# or {"ok": false, "detail": what is missing}.
import base64
import json

import openstack

spec = json.loads(base64.b64decode(CAIRN_SPEC))  # noqa: F821 (defined by the sender)
conn = openstack.connect()
found = {}
missing = []
image = conn.image.find_image(spec["image"])
if image is None or image.status != "active":
    missing.append("image %s (active)" % spec["image"])
else:
    found["imageId"] = image.id
for key, name in (("flavorId", spec["flavor"]), ("flavorAltId", spec["flavorAlt"])):
    flavor = conn.compute.find_flavor(name)
    if flavor is None:
        missing.append("flavor " + name)
    else:
        found[key] = flavor.id
net = conn.network.find_network(spec["external"])
if net is None or not net.is_router_external:
    missing.append("external network " + spec["external"])
else:
    found["publicNetworkId"] = net.id
found["networkExtensions"] = sorted(e.alias for e in conn.network.extensions())
if missing:
    print(json.dumps(dict(ok=False, detail="not in the cloud: " + ", ".join(missing))))
else:
    print(json.dumps(dict(ok=True, **found)))
