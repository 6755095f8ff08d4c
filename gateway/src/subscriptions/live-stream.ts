/**
 * The async iterator graphql-ws reads one subscription's payloads from. Work (resolving an event
 * into a payload) runs one item at a time, so payloads leave in the order their events arrived;
 * what is queued is bounded, so a client that stops reading cannot grow the gateway's memory:
 * past `maxQueued` the stream calls `onOverflow` (the server drops the socket) instead of queueing.
 *
 * A hand-written iterator rather than an async generator: `return()` must end the stream at once
 * (graphql-ws awaits it when a client completes or disconnects), even while no event is pending.
 */
import type { ExecutionResult } from "graphql";

export interface LiveStreamOptions {
  /** Payloads waiting to be sent plus events waiting to be resolved. @defaultValue 100 */
  maxQueued: number;
  onOverflow: () => void;
  onError: (error: unknown) => void;
  /** Runs once when the stream ends, however it ends. */
  onClose: () => void;
}

export class LiveStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly ready: ExecutionResult[] = [];
  private waiter: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private chain: Promise<void> = Promise.resolve();
  private working = 0;
  private done = false;

  constructor(private readonly options: LiveStreamOptions) {}

  /** Queues work whose result (if any) becomes the next payload; resolves with that result. */
  run(work: () => Promise<ExecutionResult | null>): Promise<ExecutionResult | null> {
    if (this.done) return Promise.resolve(null);
    if (this.working + this.ready.length >= this.options.maxQueued) {
      this.options.onOverflow();
      return Promise.resolve(null);
    }
    this.working++;
    const outcome = this.chain.then(async () => {
      try {
        return this.done ? null : await work();
      } catch (error) {
        this.options.onError(error);
        return null;
      } finally {
        this.working--;
      }
    });
    this.chain = outcome.then((result) => {
      if (result) this.push(result);
    });
    return outcome;
  }

  get closed(): boolean {
    return this.done;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const value = this.ready.shift();
    if (value) return Promise.resolve({ done: false, value });
    if (this.done) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(): Promise<IteratorResult<ExecutionResult>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.ready.length = 0;
    this.waiter?.({ done: true, value: undefined });
    this.waiter = null;
    this.options.onClose();
  }

  private push(result: ExecutionResult) {
    if (this.done) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter({ done: false, value: result });
    } else this.ready.push(result);
  }
}
