/**
 * Transports for many hosts: opened with bounded parallelism (`forks`, Ansible's word, default
 * 50), one per host for the whole run; each host's failure is kept as its own result instead
 * of stopping the others; everything is closed in finally.
 */
import type { Host } from '../config/model.js';
import { mapLimit } from './limiter.js';
import type { Transport } from './transport.js';

export const DEFAULT_FORKS = 50;

/** One host's outcome. */
export type HostResult<R> = { host: string; ok: true; value: R } | { host: string; ok: false; error: Error };

export type Connect<T extends Transport> = (host: Host) => Promise<T>;

export class TransportPool<T extends Transport = Transport> {
  private constructor(
    /** Open transports by Host.name. */
    readonly transports: Map<string, T>,
    /** Hosts that could not be reached, by Host.name. */
    readonly failures: Map<string, Error>,
    private readonly hosts: readonly Host[],
    private readonly forks: number,
  ) {}

  /** Connects to every host (at most `forks` at once). Never throws for a host's failure. */
  static async open<T extends Transport>(hosts: readonly Host[], connect: Connect<T>, opts: { forks?: number } = {}): Promise<TransportPool<T>> {
    const forks = opts.forks ?? DEFAULT_FORKS;
    const transports = new Map<string, T>();
    const failures = new Map<string, Error>();
    await mapLimit(hosts, forks, async (h) => {
      try {
        transports.set(h.name, await connect(h));
      } catch (e) {
        failures.set(h.name, e instanceof Error ? e : new Error(String(e)));
      }
    });
    return new TransportPool(transports, failures, hosts, forks);
  }

  /** The transport of `host`; throws its connect error when it could not be reached. */
  get(host: string): T {
    const t = this.transports.get(host);
    if (t) return t;
    const err = this.failures.get(host);
    if (err) throw err;
    throw new Error(`bug: host ${host} is not in this pool`);
  }

  /** Per-host results of the connections, in host order. */
  get results(): HostResult<T>[] {
    return this.hosts.map((h) => {
      const t = this.transports.get(h.name);
      return t ? { host: h.name, ok: true, value: t } : { host: h.name, ok: false, error: this.failures.get(h.name) ?? new Error('not connected') };
    });
  }

  /**
   * Runs `work` on every connected host (at most `forks` at once), in host order; a host that
   * failed to connect keeps its connect error as its result.
   */
  async map<R>(work: (transport: T, host: Host) => Promise<R>): Promise<HostResult<R>[]> {
    return mapLimit(this.hosts, this.forks, async (h): Promise<HostResult<R>> => {
      const t = this.transports.get(h.name);
      if (!t) return { host: h.name, ok: false, error: this.failures.get(h.name) ?? new Error('not connected') };
      try {
        return { host: h.name, ok: true, value: await work(t, h) };
      } catch (e) {
        return { host: h.name, ok: false, error: e instanceof Error ? e : new Error(String(e)) };
      }
    });
  }

  /** Closes every transport (errors while closing are ignored: the run is over). */
  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.close().catch(() => undefined)));
  }
}

/** Opens a pool, runs `fn` with it and closes every transport in finally. */
export async function withTransports<T extends Transport, R>(
  hosts: readonly Host[],
  connect: Connect<T>,
  fn: (pool: TransportPool<T>) => Promise<R>,
  opts: { forks?: number } = {},
): Promise<R> {
  const pool = await TransportPool.open(hosts, connect, opts);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}
