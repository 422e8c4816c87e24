/** Every secret value of a deployment, for masking in logs, diffs and errors. */
import type { Deployment } from './model.js';

/** Secrets shorter than this are not masked by value (see maskSecretLines). */
export const MIN_MASKED_LENGTH = 4;

/** The deployment's passwords and keys (non-empty, longest first so redaction removes them whole). */
export function secretsOf(d: Deployment): string[] {
  const values = [
    d.amqp.password,
    d.mariadb.password,
    d.keystone.adminPassword,
    d.keystone.demoPassword,
    d.keystone.dbPassword,
    d.glance.dbPassword,
    d.glance.ksPassword,
    d.placement.dbPassword,
    d.placement.ksPassword,
    d.nova.dbPassword,
    d.nova.ksPassword,
    d.neutron.dbPassword,
    d.neutron.ksPassword,
    d.neutron.metadataSecret,
    d.horizon.secretKey,
    d.cinder.dbPassword,
    d.cinder.ksPassword,
    d.swift.ksPassword,
    d.swift.hash,
    d.heat.dbPassword,
    d.heat.ksPassword,
    d.heat.domainPassword,
    d.heat.authEncryptionKey,
  ];
  const all = new Set<string>();
  for (const v of values) {
    // Masking a one-letter password would mask that letter everywhere; such passwords are
    // reported by `validate` instead, and diffs mask password lines by key (maskSecretLines).
    if (!v || v.length < MIN_MASKED_LENGTH) continue;
    all.add(v);
    // URLs carry passwords percent-encoded; mask that form too.
    all.add(encodeURIComponent(v));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

const SECRET_KEY = /(pass|secret|token|_key$|^key$|^connection$|transport_url|hash_path)/i;

/**
 * Masks the value of every line of a config file (or a diff of one) whose key looks secret:
 * `password = x`, `connection = mysql+pymysql://...`, `export OS_PASSWORD=...`, `password: x`.
 */
export function maskSecretLines(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^([-+ ]?\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*[=:]\s*)(.+)$/.exec(line);
      return m && SECRET_KEY.test(m[2]!) ? `${m[1]}<redacted>` : line;
    })
    .join('\n');
}
