/**
 * Runs secret verifications (scrypt: ~50 ms of a thread-pool thread each) a few at a time, with a
 * bounded queue: when the queue is full the request is refused at once instead of waiting behind a
 * flood. Trusted callers (see LoginGuard) queue ahead of the rest.
 */
export class HashQueue {
  private running = 0;
  private readonly first: (() => void)[] = [];
  private readonly rest: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly capacity: number,
  ) {}

  /** `fn`'s result, or undefined when the queue is full. */
  async run<T>(priority: boolean, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.concurrency) {
      const lane = priority ? this.first : this.rest;
      if (this.first.length + this.rest.length >= this.capacity && !(priority && this.first.length < this.capacity))
        return undefined;
      await new Promise<void>((resolve) => lane.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.first.shift() ?? this.rest.shift();
      if (next) next();
      else this.running--;
    }
  }
}
