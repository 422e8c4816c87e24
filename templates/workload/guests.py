# cairn verify --workload, the cloud side: sent by cairn on stdin with CAIRN_SPEC (base64 JSON)
# defined above this text. Credentials: the admin's, scoped to the demo project (demo
# provisioning gives the admin that role), so guests live in the demo project's network and
# security group and can be forced onto a host.
#
# action "boot": a keypair, one guest per compute host (all created first, then waited on
# together), each guest's console checked for its DHCP address and its metadata key, then a
# floating IP each. action "clean": deletes everything whose name starts with the run's prefix,
# and the floating IPs it made. Prints one JSON line per step:
# {"step", "guest", "ok", "ms", "detail"}; "guest" is the compute host ("" for the run).
import base64
import json
import re
import time

import openstack

spec = json.loads(base64.b64decode(CAIRN_SPEC))  # noqa: F821 (defined by the sender)
# Every API call gives up after a minute: a hung API fails its step instead of the whole check.
conn = openstack.connect(api_timeout=60)
prefix = spec["prefix"]


def report(step, guest, ok, started, detail, **extra):
    ms = int((time.monotonic() - started) * 1000)
    print(json.dumps(dict(step=step, guest=guest, ok=ok, ms=ms, detail=detail, **extra)), flush=True)
    return ok


def clean():
    started = time.monotonic()
    gone = []
    servers = [s for s in conn.compute.servers() if s.name.startswith(prefix)]
    for s in servers:
        conn.compute.delete_server(s)
        gone.append("server " + s.name)
    for fip in conn.network.ips(description=prefix):
        conn.network.delete_ip(fip)
        gone.append("floating ip " + fip.floating_ip_address)
    for s in servers:
        try:
            conn.compute.wait_for_delete(s, interval=1, wait=120)
        except openstack.exceptions.SDKException as e:
            report("clean", "", False, started, "server %s not deleted in 120 s: %s" % (s.name, e))
    kp = conn.compute.find_keypair(prefix, ignore_missing=True)
    if kp is not None:
        conn.compute.delete_keypair(kp)
        gone.append("keypair " + prefix)
    report("clean", "", True, started, "deleted " + (", ".join(gone) if gone else "nothing (none left)"))


def stuck(s):
    # Where a build stands: Nova's task (spawning is the hypervisor driver, which also waits for
    # Neutron's network-vif-plugged), and each port's status (DOWN: the host's L2 agent has not
    # wired it, so Neutron never says it is plugged).
    s = conn.compute.get_server(s.id)
    ports = ["port %s %s (bound to %s, %s)" % (p.fixed_ips[0]["ip_address"] if p.fixed_ips else p.id[:8], p.status, p.binding_host_id or "no host", p.binding_vif_type)
             for p in conn.network.ports(device_id=s.id)]
    # A guest can turn ACTIVE between the last poll and this look (an API call that hung ate the
    # wait): it is still late, so say that rather than "still ACTIVE".
    state = "only %s now" % s.status if s.status == "ACTIVE" else "still %s, task %s" % (s.status, s.task_state)
    return "%s, on %s; %s" % (state, s.compute_host or "no host yet", "; ".join(ports) or "no port yet")


def boot():
    started = time.monotonic()
    conn.compute.create_keypair(name=prefix, public_key=spec["publicKey"])
    image = conn.image.find_image(spec["image"], ignore_missing=False)
    flavor = conn.compute.find_flavor(spec["flavor"], ignore_missing=False)
    net = conn.network.find_network(spec["network"], ignore_missing=False)
    public = conn.network.find_network(spec["external"], ignore_missing=False)
    subnet = next(iter(conn.network.subnets(network_id=net.id)))
    computes = sorted(s.host for s in conn.compute.services(binary="nova-compute") if s.state == "up" and s.status == "enabled")
    missing = [h for h in spec["computes"] if h not in computes]
    report("computes", "", not missing, started, "nova-compute up on %s" % ", ".join(computes) + ("; not up: %s" % ", ".join(missing) if missing else ""), router=subnet.gateway_ip)
    servers = {}
    for host in spec["computes"]:
        if host in missing:
            continue
        t0 = time.monotonic()
        servers[host] = (t0, conn.compute.create_server(
            name="%s-%s" % (prefix, host),
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{"uuid": net.id}],
            key_name=prefix,
            availability_zone="nova:%s" % host,
        ))
    # Wait for all at once: each guest's time is from its own create call.
    pending = dict(servers)
    active = {}
    deadline = time.monotonic() + spec["activeTimeoutS"]
    while pending and time.monotonic() < deadline:
        for host, (t0, s) in list(pending.items()):
            s = conn.compute.get_server(s.id)
            if s.status == "ACTIVE" or s.status == "ERROR":
                del pending[host]
                ok = s.status == "ACTIVE" and s.compute_host == host
                fault = (s.fault or {}).get("message", "") if s.status == "ERROR" else ""
                report("active", host, ok, t0, "%s on %s%s" % (s.status, s.compute_host, ": " + fault if fault else ""))
                if ok:
                    active[host] = (t0, s)
        time.sleep(1)
    for host, (t0, s) in pending.items():
        report("active", host, False, t0, "%s after %d s" % (stuck(s), spec["activeTimeoutS"]))

    # The console says what the guest got: its DHCP address and the key metadata served.
    key_tail = spec["publicKey"].split()[1][-12:]
    pending = dict(active)
    deadline = time.monotonic() + spec["bootTimeoutS"]
    seen = {}
    while pending and time.monotonic() < deadline:
        for host, (t0, s) in list(pending.items()):
            log = conn.compute.get_server_console_output(s)["output"] or ""
            seen[host] = log
            if "cairn-guest: ssh up" in log or "FAIL" in log:
                del pending[host]
        time.sleep(2)
    for host, (t0, s) in active.items():
        log = seen.get(host, "")
        fixed = [a["addr"] for addrs in s.addresses.values() for a in addrs if a.get("OS-EXT-IPS:type", "fixed") == "fixed"]
        m = re.search(r"cairn-guest: dhcp eth0 (\S+)/", log)
        report("dhcp", host, bool(m) and m.group(1) in fixed, t0, "console: dhcp %s (Neutron: %s)" % (m.group(1) if m else "no lease", ", ".join(fixed)))
        ok = ("key ssh-ed25519 " + key_tail) in log
        markers = [line[line.index("cairn-guest:"):] for line in log.splitlines() if "cairn-guest:" in line]
        meta = [line for line in markers if "metadata" in line]
        report("metadata", host, ok, t0, meta[-1] if meta else "no metadata line on the console (last: %s)" % (markers[-1] if markers else "nothing"))
        port = next(iter(conn.network.ports(device_id=s.id)))
        fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id, description=prefix)
        report("floating-ip", host, True, t0, fip.floating_ip_address, fip=fip.floating_ip_address, fixed=fixed[0] if fixed else "")
    report("boot", "", True, started, "%d guest(s)" % len(active))


# The admin has a role on the demo project only once demo provisioning ran: without it every
# call below would fail with a bare "401 Unauthorized".
try:
    conn.authorize()
except openstack.exceptions.SDKException as e:
    report("setup", "", False, time.monotonic(), "cannot sign in to project demo as admin (%s): demo provisioning has not run here; a cairn deploy that finishes does it" % str(e).splitlines()[0][:160])
    raise SystemExit(1)

if spec["action"] == "clean":
    clean()
else:
    boot()
