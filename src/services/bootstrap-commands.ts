/**
 * Building blocks of service bootstrap steps (migrations, database creation, Keystone
 * registration), shared by the descriptors. Pure: they return argv and stdin; the apply stage
 * runs them. Passwords only ever go on stdin.
 */
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import type { BootstrapStep, ServiceDescriptor } from './descriptor.js';
import { SERVICE_PROJECT, keystoneUrl } from './common.js';

/** argv that runs `argv` as the service's system user, so files it creates are the service's. */
export function runAs(user: string, argv: string[]): string[] {
  return ['runuser', '-u', user, '--', ...argv];
}

/**
 * A wait until `url` answers HTTP (any status below 500 counts: an API that answers 401 or 300
 * is up). Uses the host's python3, which every OpenStack host has.
 */
export function httpReady(name: string, title: string, url: string, deadlineMs = 600_000, when: BootstrapStep['when'] = 'after-start'): BootstrapStep {
  const probe = [
    'import sys, urllib.request, urllib.error',
    'try:',
    '    urllib.request.urlopen(sys.argv[1], timeout=5)',
    'except urllib.error.HTTPError as e:',
    '    sys.exit(0 if e.code < 500 else 1)',
  ].join('\n');
  return { name, title, when, argv: ['python3', '-c', probe, url], wait: { intervalMs: 2000, deadlineMs } };
}

/**
 * `httpReady` for an API nothing else on its host needs before the deploy ends: the wait runs
 * once all of the host's units have started (see BootstrapStep.atEnd).
 */
export function httpReadyAtEnd(name: string, title: string, url: string): BootstrapStep {
  return { ...httpReady(name, title, url), atEnd: true };
}

/**
 * How long a compute or network host waits for the control host's APIs before starting its own
 * agents: the control host installs and migrates far more, and an agent started before its
 * RabbitMQ user exists exits at once.
 */
export const CONTROLLER_WAIT_MS = 90 * 60_000;

/**
 * A schema migration: `argv` run as the service's `user` before its units start, again only
 * when the database it migrates (`databaseUrl`) changes. Early: it needs only its database and
 * its configuration file, so it runs beside the services before it (heat's alone took 22 s of a
 * first deploy on the lab, one step after another).
 */
export function migration(title: string, user: string, argv: string[], databaseUrl: string, timeoutMs = 600_000): BootstrapStep {
  return { name: 'db-sync', title, when: 'before-start', argv: runAs(user, argv), inputs: [databaseUrl], timeoutMs, early: true };
}

/** A string literal for MariaDB: backslashes and single quotes escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A MariaDB identifier in backquotes. */
function sqlName(s: string): string {
  return `\`${s.replace(/`/g, '``')}\``;
}

/**
 * SQL that makes every enabled service's database and user, with its current password, and
 * grants it the database. Idempotent: IF NOT EXISTS for what is created, ALTER USER for the
 * password so a changed answer file takes effect.
 */
export function databasesSql(d: Deployment, all: readonly ServiceDescriptor[]): string {
  const lines: string[] = [];
  // The administrative account keeps the socket login Debian gives root (so cairn, as root,
  // never needs the password on a command line) and also accepts the answer file's password.
  if (d.mariadb.user === 'root') {
    lines.push(
      `ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(${sqlString(d.mariadb.password)});`,
    );
  } else {
    lines.push(
      `CREATE USER IF NOT EXISTS ${sqlString(d.mariadb.user)}@'localhost';`,
      `ALTER USER ${sqlString(d.mariadb.user)}@'localhost' IDENTIFIED BY ${sqlString(d.mariadb.password)};`,
      `GRANT ALL PRIVILEGES ON *.* TO ${sqlString(d.mariadb.user)}@'localhost' WITH GRANT OPTION;`,
    );
  }
  const users = new Map<string, string>();
  for (const s of all) {
    for (const db of s.databases ?? []) {
      lines.push(`CREATE DATABASE IF NOT EXISTS ${sqlName(db.name)} CHARACTER SET utf8mb3;`);
      users.set(db.user, db.password(d));
    }
  }
  for (const [user, password] of users) {
    // '%' for the services on other hosts and on the controller's own address; 'localhost' for
    // socket connections (a '%' account does not match them).
    for (const from of ['%', 'localhost']) {
      lines.push(`CREATE USER IF NOT EXISTS ${sqlString(user)}@${sqlString(from)};`);
      lines.push(`ALTER USER ${sqlString(user)}@${sqlString(from)} IDENTIFIED BY ${sqlString(password)};`);
    }
  }
  for (const s of all) {
    for (const db of s.databases ?? []) {
      for (const from of ['%', 'localhost']) lines.push(`GRANT ALL PRIVILEGES ON ${sqlName(db.name)}.* TO ${sqlString(db.user)}@${sqlString(from)};`);
    }
  }
  lines.push('FLUSH PRIVILEGES;');
  return lines.join('\n') + '\n';
}

/** The desired Keystone catalog, users and projects, as the catalog script reads it (JSON). */
export interface CatalogSpec {
  auth: { url: string; username: string; password: string; project: string };
  region: string;
  projects: { name: string; description: string }[];
  roles: string[];
  users: { name: string; password: string; project: string; roles: string[] }[];
  /** Domains with an administrator each (user of the domain, `admin` on it). */
  domains: { name: string; description: string; admin: { name: string; password: string } }[];
  /** Roles granted to users that exist already (the cloud administrator). */
  grants: { user: string; project: string; role: string }[];
  services: { name: string; type: string; urls: { public: string; internal: string; admin: string } }[];
}

/** Where the catalog script is put on the control host. */
export const CATALOG_SCRIPT_PATH = '/usr/local/lib/cairn/ensure-catalog.py';

/**
 * Every enabled service's Keystone user (member and admin of project `service`) and catalog
 * entry, plus the demo project and user when the answer file asks for them. Keystone's own
 * entry is made by `keystone-manage bootstrap`.
 */
export function catalogSpec(d: Deployment, all: readonly ServiceDescriptor[]): CatalogSpec {
  const ctrl = controllerOf(d).address;
  const spec: CatalogSpec = {
    auth: { url: keystoneUrl(d), username: d.keystone.adminUser, password: d.keystone.adminPassword, project: 'admin' },
    region: d.keystone.region,
    projects: [{ name: SERVICE_PROJECT, description: 'OpenStack services' }],
    // `service` is the role newer releases check service tokens for; harmless in Zed.
    roles: ['member', 'service'],
    users: [],
    domains: [],
    grants: [],
    services: [],
  };
  for (const s of all) {
    for (const e of s.endpoints ?? []) {
      if (e.serviceType === 'identity') continue;
      if (!spec.users.some((u) => u.name === e.user)) {
        spec.users.push({ name: e.user, password: e.password(d), project: SERVICE_PROJECT, roles: ['admin', 'service'] });
      }
      const url = e.url(ctrl);
      spec.services.push({ name: e.serviceName, type: e.serviceType, urls: { public: url, internal: url, admin: url } });
    }
  }
  for (const s of all) {
    const identity = s.identity?.(d);
    if (!identity) continue;
    for (const r of identity.roles ?? []) if (!spec.roles.includes(r)) spec.roles.push(r);
    spec.domains.push(...(identity.domains ?? []));
    spec.grants.push(...(identity.grants ?? []));
  }
  if (d.provisionDemo) {
    spec.projects.push({ name: 'demo', description: 'Demo project' });
    spec.users.push({ name: 'demo', password: d.keystone.demoPassword, project: 'demo', roles: ['member'] });
  }
  return spec;
}
