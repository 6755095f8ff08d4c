/**
 * Open sockets counted per user and per client address on this gateway, so one client cannot hold
 * an unbounded number of sockets (each costs memory and a share of every fan-out).
 */
export interface SocketLimitOptions {
  /** @defaultValue 10 */
  maxPerUser: number;
  /** @defaultValue 50 */
  maxPerIp: number;
}

export class SocketLimits {
  private readonly users = new Map<string, number>();
  private readonly ips = new Map<string, number>();

  constructor(private readonly options: SocketLimitOptions) {}

  /** Takes a slot for the address; false when it has as many sockets as allowed. */
  acquireIp(ip: string): boolean {
    return acquire(this.ips, ip, this.options.maxPerIp);
  }

  releaseIp(ip: string): void {
    release(this.ips, ip);
  }

  acquireUser(userId: string): boolean {
    return acquire(this.users, userId, this.options.maxPerUser);
  }

  releaseUser(userId: string): void {
    release(this.users, userId);
  }
}

function acquire(counts: Map<string, number>, key: string, max: number): boolean {
  const count = counts.get(key) ?? 0;
  if (count >= max) return false;
  counts.set(key, count + 1);
  return true;
}

function release(counts: Map<string, number>, key: string): void {
  const count = (counts.get(key) ?? 0) - 1;
  if (count > 0) counts.set(key, count);
  else counts.delete(key);
}
