/**
 * Stand-ins for a host's own programs in script tests: a command that logs its arguments (one
 * line per call) before doing what the test asks, and what the facts probe prints on a healthy
 * Debian 12 host.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Host } from '../../src/config/model.js';

/**
 * Writes an executable `path` that appends "$*" to `log`, then runs `body` (shell lines).
 * Returns the calls logged so far, one string each.
 */
export function loggingCommand(path: string, log: string, body: string[] = [':']): () => string[] {
  writeFileSync(path, ['#!/bin/sh', `echo "$*" >> ${log}`, ...body, ''].join('\n'), {
    mode: 0o755,
  });
  return () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
}

/** What the facts probe prints on a healthy Debian 12 host with eth0 and eth1, plus `extra` lines. */
export function healthyProbeOutput(host: Host, memMiB = 8192, extra: string[][] = []): string {
  const lines = [
    ['os', 'id', 'debian'],
    ['os', 'version', '12'],
    ['host', 'hostname', host.name],
    ['host', 'cpu_flags', 'fpu sse2 ssse3'],
    ['host', 'mem_kib', String(memMiB * 1024)],
    ['host', 'disk_free_kib', String(50 * 1024 * 1024)],
    ['host', 'sudo_ok', 'yes'],
    ['iface', 'lo', ''],
    ['iface', 'eth0', ''],
    ['iface', 'eth1', ''],
    ...extra,
  ];
  return lines.map((l) => l.join('\t')).join('\n') + '\n';
}
