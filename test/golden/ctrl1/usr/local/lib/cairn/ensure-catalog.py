# Managed by cairn: changes here are overwritten on the next deploy.
#
# Makes Keystone hold the projects, roles, users and catalog entries that cairn's JSON on stdin
# lists, changing only what differs, and prints one line per change. Idempotent: run twice, the
# second run prints nothing. Reads passwords from stdin only.
import json
import sys
import time

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

spec = json.load(sys.stdin)


def converge():
    auth = spec["auth"]
    ks = client.Client(
        session=session.Session(
            auth=v3.Password(
                auth_url=auth["url"],
                username=auth["username"],
                password=auth["password"],
                project_name=auth["project"],
                user_domain_id="default",
                project_domain_id="default",
            )
        ),
        interface="public",
    )
    region = spec["region"]


    def say(what):
        print(what, flush=True)


    def one(items, **match):
        found = [i for i in items if all(getattr(i, k, None) == v for k, v in match.items())]
        return found[0] if found else None


    projects = {}
    for p in spec["projects"]:
        project = one(ks.projects.list(domain="default", name=p["name"]), name=p["name"])
        if project is None:
            project = ks.projects.create(name=p["name"], domain="default", description=p["description"])
            say("project %s: created" % p["name"])
        projects[p["name"]] = project
    for name in ("admin",):
        projects.setdefault(name, one(ks.projects.list(domain="default", name=name), name=name))

    roles = {r.name: r for r in ks.roles.list()}
    for name in spec["roles"]:
        if name not in roles:
            roles[name] = ks.roles.create(name=name)
            say("role %s: created" % name)

    for u in spec["users"]:
        user = one(ks.users.list(domain="default", name=u["name"]), name=u["name"])
        project = projects[u["project"]]
        if user is None:
            user = ks.users.create(name=u["name"], domain="default", password=u["password"], default_project=project)
            say("user %s: created" % u["name"])
        else:
            # A password that still works is left alone; a changed one is set.
            try:
                v3.Password(
                    auth_url=auth["url"], username=u["name"], password=u["password"],
                    user_domain_id="default", project_id=project.id, project_domain_id="default",
                ).get_token(session.Session())
            except Exception:
                ks.users.update(user, password=u["password"])
                say("user %s: password set" % u["name"])
        have = {a.role["id"] for a in ks.role_assignments.list(user=user, project=project)}
        for r in u["roles"]:
            if roles[r].id not in have:
                ks.roles.grant(roles[r], user=user, project=project)
                say("user %s: role %s on %s" % (u["name"], r, u["project"]))

    for dspec in spec["domains"]:
        domain = one(ks.domains.list(name=dspec["name"]), name=dspec["name"])
        if domain is None:
            domain = ks.domains.create(name=dspec["name"], description=dspec["description"])
            say("domain %s: created" % dspec["name"])
        a = dspec["admin"]
        admin = one(ks.users.list(domain=domain, name=a["name"]), name=a["name"])
        if admin is None:
            admin = ks.users.create(name=a["name"], domain=domain, password=a["password"])
            say("user %s in domain %s: created" % (a["name"], dspec["name"]))
        else:
            # Unscoped: the check must not depend on the role grant below (a run cut off
            # between the two would otherwise reset a password that works).
            try:
                v3.Password(
                    auth_url=auth["url"], username=a["name"], password=a["password"],
                    user_domain_id=domain.id,
                ).get_token(session.Session())
            except Exception:
                ks.users.update(admin, password=a["password"])
                say("user %s in domain %s: password set" % (a["name"], dspec["name"]))
        if not list(ks.role_assignments.list(user=admin, domain=domain, role=roles["admin"])):
            ks.roles.grant(roles["admin"], user=admin, domain=domain)
            say("user %s: role admin on domain %s" % (a["name"], dspec["name"]))

    for g in spec["grants"]:
        user = one(ks.users.list(domain="default", name=g["user"]), name=g["user"])
        project = projects.get(g["project"]) or one(ks.projects.list(domain="default", name=g["project"]), name=g["project"])
        role = roles[g["role"]]
        if not list(ks.role_assignments.list(user=user, project=project, role=role)):
            ks.roles.grant(role, user=user, project=project)
            say("user %s: role %s on %s" % (g["user"], g["role"], g["project"]))

    for s in spec["services"]:
        service = one(ks.services.list(type=s["type"]), name=s["name"])
        if service is None:
            service = ks.services.create(name=s["name"], type=s["type"])
            say("service %s (%s): created" % (s["name"], s["type"]))
        existing = ks.endpoints.list(service=service, region=region)
        for interface, url in sorted(s["urls"].items()):
            endpoint = one(existing, interface=interface)
            if endpoint is None:
                ks.endpoints.create(service=service, url=url, interface=interface, region=region)
                say("endpoint %s %s: %s" % (s["name"], interface, url))
            elif endpoint.url != url:
                ks.endpoints.update(endpoint, url=url)
                say("endpoint %s %s: %s (was %s)" % (s["name"], interface, url, endpoint.url))


# Every step above is idempotent, so a dropped connection (a busy API restarting a worker) is
# answered by running the whole thing again.
for attempt in range(1, 6):
    try:
        converge()
        break
    except (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout) as e:
        if attempt == 5:
            raise
        print("connection failed (%s); trying again" % e, file=sys.stderr, flush=True)
        time.sleep(5 * attempt)
