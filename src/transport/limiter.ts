/**
 * A counting semaphore: at most `limit` tasks at once, the rest wait in FIFO order. The limit
 * can be lowered while tasks run (the SSH transport does when a server allows fewer sessions).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private max: number;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`bug: limit must be a positive integer, not ${limit}`);
    this.max = limit;
  }

  get limit(): number {
    return this.max;
  }

  /** Tasks running right now. */
  get running(): number {
    return this.active;
  }

  /** Lowers the limit (never below 1); tasks already running finish normally. */
  lowerTo(limit: number): void {
    this.max = Math.max(1, Math.min(this.max, Math.floor(limit)));
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the first waiter, so a newcomer arriving
    // in between can never push the count past the limit.
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.active <= this.max ? this.waiting.shift() : undefined;
      if (next) next();
      else this.active--;
    }
  }
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limiter = new Limiter(limit);
  return Promise.all(items.map((item, i) => limiter.run(() => fn(item, i))));
}
