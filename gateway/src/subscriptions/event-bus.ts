/**
 * One Redis subscriber connection per gateway for every live channel its sockets need: channels
 * are subscribed while at least one local subscription listens and unsubscribed after the last
 * one leaves, so a gateway only receives the events of the users and jobs it serves.
 *
 * ioredis re-subscribes every channel by itself after a reconnect (autoResubscribe); events
 * published meanwhile are lost with pub/sub, so listeners are told when the connection is back
 * (`onResume`) and re-read the state they show.
 */
import { Redis } from "ioredis";
import { describeRedisUrl, serviceUnavailable, withTimeout, type Logger } from "@agora/platform";
import { parseLiveEvent, type LiveEvent } from "@agora/platform/live-events";

export type LiveListener = (event: LiveEvent) => void;

export interface LiveEventBusOptions {
  redisUrl: string;
  /**
   * How long a new subscription waits for Redis to confirm its channel before it fails with
   * SERVICE_UNAVAILABLE.
   * @defaultValue 3000
   */
  subscribeTimeoutMs?: number;
  log: Logger;
}

export class LiveEventBus {
  private readonly redis: Redis;
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly resumeListeners = new Set<() => void>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private wasReady = false;
  private lostConnection = false;

  constructor(private readonly options: LiveEventBusOptions) {
    this.redis = new Redis(options.redisUrl, {
      // A subscriber connection waits for Redis as long as it takes; callers bound their own wait.
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect: true,
      connectionName: "agora-gateway-live",
    });
    this.redis.on("message", (channel: string, message: string) => this.dispatch(channel, message));
    this.redis.on("ready", () => {
      if (this.wasReady && this.lostConnection) {
        options.log.info({ redis: describeRedisUrl(options.redisUrl) }, "live events: Redis is back, resuming subscriptions");
        for (const listener of this.resumeListeners) listener();
      }
      this.wasReady = true;
      this.lostConnection = false;
    });
    this.redis.on("close", () => {
      if (this.wasReady && !this.lostConnection)
        options.log.warn({ redis: describeRedisUrl(options.redisUrl) }, "live events: lost Redis; reconnecting");
      this.lostConnection = true;
    });
    this.redis.on("error", () => undefined); // reported through "close" once, not on every retry
    this.redis.connect().catch(() => undefined);
  }

  /** Listens to a channel; resolves once Redis has confirmed it, with the function that stops listening. */
  async subscribe(channel: string, listener: LiveListener): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      this.pending.set(
        channel,
        this.redis.subscribe(channel).finally(() => this.pending.delete(channel)),
      );
    }
    set.add(listener);
    const stop = () => this.unsubscribe(channel, listener);
    const confirming = this.pending.get(channel);
    if (confirming) {
      try {
        await withTimeout(
          confirming,
          this.options.subscribeTimeoutMs ?? 3000,
          `Redis (live events at ${describeRedisUrl(this.options.redisUrl)})`,
        );
      } catch {
        stop();
        throw serviceUnavailable(
          `Live updates are unavailable: Redis at ${describeRedisUrl(this.options.redisUrl)} does not answer. Try again shortly.`,
        );
      }
    }
    return stop;
  }

  /** Called each time the connection comes back after a loss (not on the first connect). */
  onResume(listener: () => void): () => void {
    this.resumeListeners.add(listener);
    return () => this.resumeListeners.delete(listener);
  }

  /** Channels with listeners on this gateway. */
  get channelCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.resumeListeners.clear();
    this.redis.disconnect();
  }

  private unsubscribe(channel: string, listener: LiveListener) {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.redis.unsubscribe(channel).catch(() => undefined);
  }

  private dispatch(channel: string, message: string) {
    const set = this.listeners.get(channel);
    if (!set) return;
    const event = parseLiveEvent(message);
    if (!event) return this.options.log.warn({ channel }, "live events: ignored a message that is not a live event");
    for (const listener of set) listener(event);
  }
}
