/**
 * The BullMQ queues this service adds to (through the outbox relay), removes cancelled jobs from,
 * and shows on the admin dashboard. One Redis connection is shared by all of them.
 */
import { Queue } from "bullmq";
import { createRedis, type Logger, type Redis } from "@agora/platform";
import { queueForJobType, queueNames, type PlatformJobData, type QueueName } from "@agora/platform/queues";
import { type Db } from "@agora/platform/database";

export type PlatformQueue = Queue<PlatformJobData, unknown, string>;

export interface JobQueuesOptions {
  /** Redis URL (REDIS_URL). */
  redisUrl: string;
  /** BullMQ key prefix: `bullPrefix(REDIS_KEY_PREFIX)`. */
  prefix: string;
  log: Logger;
}

export class JobQueues {
  readonly connection: Redis;
  private readonly queues = new Map<QueueName, PlatformQueue>();

  constructor(private readonly options: JobQueuesOptions) {
    // Retry the connection forever (BullMQ waits for "ready"), but fail single commands fast so a
    // Redis outage shows up as an error the caller can wait out, not as a hang.
    this.connection = createRedis(options.redisUrl, { retryStrategy: (times) => Math.min(times * 200, 2000) });
    let reported = false;
    this.connection.on("error", (error) => {
      if (!reported)
        options.log.warn({ err: error, redis: options.redisUrl }, "Redis is unreachable; jobs wait in the outbox until it is back");
      reported = true;
    });
    this.connection.on("ready", () => {
      if (reported) options.log.info("Redis is reachable again");
      reported = false;
    });
  }

  get(name: QueueName): PlatformQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<PlatformJobData, unknown, string>(name, { connection: this.connection, prefix: this.options.prefix });
      // Without a listener an "error" event would crash the process; the connection logs it already.
      queue.on("error", () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** True once the Redis connection is up; false if it is not within `timeoutMs`. */
  async waitUntilConnected(timeoutMs: number): Promise<boolean> {
    if (this.connection.status === "ready") return true;
    if (this.connection.status === "end") return false;
    return new Promise<boolean>((resolve) => {
      const done = (connected: boolean) => {
        clearTimeout(timer);
        this.connection.off("ready", onReady);
        resolve(connected);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.connection.once("ready", onReady);
    });
  }

  forType(type: Db.JobType): PlatformQueue {
    return this.get(queueForJobType[type]);
  }

  all(): PlatformQueue[] {
    return Object.values(queueNames).map((name) => this.get(name));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.connection.disconnect();
  }
}
