/**
 * Test clients for the subscription server: a real graphql-ws client (the `ws` implementation)
 * that records every payload, error and close code, plus helpers that wait for what a user would see.
 */
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export interface Recorded<T = any> {
  payloads: T[];
  errors: unknown[];
  completed: boolean;
}

export interface LiveClient {
  client: Client;
  /** Close events of the socket(s), in order. */
  closes: { code: number; reason: string }[];
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Recorded<T> & { stop(): void };
  dispose(): Promise<void>;
}

export const wsUrl = (gatewayUrl: string) => gatewayUrl.replace(/^http/, "ws");

export interface LiveClientOptions {
  /** Reconnect attempts (graphql-ws's client re-subscribes what was active; never after 4401, which it treats as fatal). @defaultValue 0 */
  retryAttempts?: number;
}

export function liveClient(gatewayUrl: string, token?: string | (() => string), options: LiveClientOptions = {}): LiveClient {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: wsUrl(gatewayUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: options.retryAttempts ?? 0,
    retryWait: async () => void (await sleep(100)),
    connectionParams: () => {
      const value = typeof token === "function" ? token() : token;
      return value ? { Authorization: `Bearer ${value}` } : {};
    },
    on: { closed: (event) => void closes.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closes,
    subscribe(query, variables) {
      const recorded = { payloads: [] as any[], errors: [] as unknown[], completed: false };
      const stop = client.subscribe(
        { query, variables: variables ?? {} },
        {
          next: (value) => {
            if (value.errors?.length) recorded.errors.push(...value.errors);
            else recorded.payloads.push(value.data);
          },
          error: (error) => void (Array.isArray(error) ? recorded.errors.push(...(error as unknown[])) : recorded.errors.push(error)),
          complete: () => void (recorded.completed = true),
        },
      );
      return Object.assign(recorded, { stop });
    },
    dispose: async () => client.dispose(),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}
