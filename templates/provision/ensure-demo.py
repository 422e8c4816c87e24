# Demo provisioning (CONFIG_PROVISION_DEMO=y), sent by cairn on stdin after the deploy.
#
# Makes the cloud hold what cairn's spec (CAIRN_SPEC, base64 JSON, defined above this text)
# lists: the guest image, flavors, the external network and its subnet, the demo project's
# private network, router and security group rules; and gives the admin user the admin role
# in the demo project (verify --workload boots there and forces a host, which only admins may).
# Changes only what is missing or differs and prints one JSON line per resource:
# {"resource": ..., "action": "exists" | "created" | "replaced"}. Run twice, the second run
# creates nothing. Credentials come from the OS_* environment (keystonerc_admin).
import base64
import json
import sys

import openstack

spec = json.loads(base64.b64decode(CAIRN_SPEC))  # noqa: F821 (defined by the sender)
conn = openstack.connect()


def say(resource, action, **extra):
    print(json.dumps(dict(resource=resource, action=action, **extra)), flush=True)


def project(name):
    p = conn.identity.find_project(name, domain_id="default")
    if p is None:
        sys.exit("project %s does not exist (the catalog step makes it): re-run cairn deploy" % name)
    return p


demo = project("demo")
admin_user = conn.identity.find_user(spec["adminUser"], domain_id="default")
admin_role = conn.identity.find_role("admin")
if not conn.identity.validate_user_has_project_role(demo, admin_user, admin_role):
    conn.identity.assign_project_role_to_user(demo, admin_user, admin_role)
    say("role admin of %s on project demo" % spec["adminUser"], "created")
else:
    say("role admin of %s on project demo" % spec["adminUser"], "exists")

# Images: kernel and ramdisk, then the bootable image that names them. Each carries the sha256
# of what cairn built (property cairn_sha256); a different build replaces it.
ids = {}
for item in spec["images"]:
    found = [i for i in conn.image.images(name=item["name"])]
    current = [i for i in found if i.properties.get("cairn_sha256") == item["sha256"]]
    if current:
        ids[item["role"]] = current[0].id
        say("image " + item["name"], "exists")
        continue
    props = {"cairn_sha256": item["sha256"]}
    for ref in item.get("refs", []):
        props[ref + "_id"] = ids[ref]
    image = conn.image.create_image(
        name=item["name"],
        filename=item["file"],
        disk_format=item["diskFormat"],
        container_format=item["containerFormat"],
        visibility="public",
        wait=True,
        **props,
    )
    ids[item["role"]] = image.id
    for old in found:
        try:
            conn.image.delete_image(old)
        except openstack.exceptions.SDKException:
            pass  # still in use by a server: left for the operator
    say("image " + item["name"], "replaced" if found else "created")

for f in spec["flavors"]:
    if conn.compute.find_flavor(f["name"], ignore_missing=True) is not None:
        say("flavor " + f["name"], "exists")
        continue
    conn.compute.create_flavor(name=f["name"], ram=f["ramMb"], disk=f["diskGb"], vcpus=f["vcpus"], is_public=True)
    say("flavor " + f["name"], "created")


def ensure_network(name, **attrs):
    net = conn.network.find_network(name, **({"project_id": attrs["project_id"]} if "project_id" in attrs else {}))
    if net is not None:
        say("network " + name, "exists")
        return net
    say("network " + name, "created")
    return conn.network.create_network(name=name, **attrs)


def ensure_subnet(net, name, **attrs):
    for s in conn.network.subnets(network_id=net.id):
        if s.name == name:
            say("subnet " + name, "exists")
            return s
    say("subnet " + name, "created")
    return conn.network.create_subnet(network_id=net.id, name=name, ip_version=4, **attrs)


ext = spec["external"]
public = ensure_network(ext["network"], is_router_external=True, provider_network_type="flat", provider_physical_network=ext["physnet"])
ensure_subnet(
    public,
    ext["subnet"],
    cidr=ext["cidr"],
    gateway_ip=ext["gateway"],
    allocation_pools=[{"start": ext["poolStart"], "end": ext["poolEnd"]}],
    is_dhcp_enabled=False,
)

priv = spec["private"]
private = ensure_network(priv["network"], project_id=demo.id)
private_subnet = ensure_subnet(private, priv["subnet"], cidr=priv["cidr"], project_id=demo.id)

router = conn.network.find_router(spec["router"], project_id=demo.id)
if router is None:
    router = conn.network.create_router(name=spec["router"], project_id=demo.id, external_gateway_info={"network_id": public.id})
    say("router " + spec["router"], "created")
else:
    say("router " + spec["router"], "exists")
    if (router.external_gateway_info or {}).get("network_id") != public.id:
        conn.network.update_router(router, external_gateway_info={"network_id": public.id})
        say("router %s gateway" % spec["router"], "created")
attached = any(
    ip.get("subnet_id") == private_subnet.id
    for port in conn.network.ports(device_id=router.id)
    for ip in port.fixed_ips
)
if not attached:
    conn.network.add_interface_to_router(router, subnet_id=private_subnet.id)
    say("router %s interface on %s" % (spec["router"], priv["subnet"]), "created")
else:
    say("router %s interface on %s" % (spec["router"], priv["subnet"]), "exists")

groups = list(conn.network.security_groups(project_id=demo.id, name="default"))
if not groups:
    sys.exit("the demo project has no default security group (Neutron makes it with the project's first network)")
group = groups[0]
for rule in spec["securityGroupRules"]:
    port = rule.get("port")
    label = "security group rule %s%s" % (rule["protocol"], "/%d" % port if port else "")
    have = any(
        r["direction"] == "ingress"
        and r["ethertype"] == "IPv4"
        and r["protocol"] == rule["protocol"]
        and r["port_range_min"] == port
        and r["remote_ip_prefix"] in ("0.0.0.0/0", None)
        for r in group.security_group_rules
    )
    if have:
        say(label, "exists")
        continue
    attrs = dict(security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol=rule["protocol"], remote_ip_prefix="0.0.0.0/0", project_id=demo.id)
    if port:
        attrs.update(port_range_min=port, port_range_max=port)
    conn.network.create_security_group_rule(**attrs)
    say(label, "created")
