/**
 * HTTP/1.1 over a bare TCP socket, for what fetch hides: chunked bodies without Content-Length,
 * bodies that stop short of what they declare, and whether the server closes the connection.
 */
import { connect } from "node:net";

export interface RawExchange {
  /** Everything the server sent, as text. */
  received: string;
  /** Status of the first response, or 0 when none came. */
  status: number;
  /** Headers of the first response, lower-cased names. */
  headers: Record<string, string>;
}

/** One chunk of a chunked body. */
export const chunk = (data: Buffer | string) => {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
};
export const lastChunk = Buffer.from("0\r\n\r\n");

/**
 * Writes `head`, then each part of `body` (as fast as the socket takes them), and resolves once the
 * server has closed the connection. A server that keeps it open never resolves: the caller's test
 * times out, which is the failure this helper exists to catch. Write errors (the server closing
 * while the body is still being sent) are expected and ignored.
 */
export function sendUntilClosed(port: number, head: string, body: Iterable<Buffer>): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (data) => received.push(data));
    socket.on("error", () => {});
    socket.on("close", () => {
      const text = Buffer.concat(received).toString("latin1");
      const [statusLine = "", ...headerLines] = (text.split("\r\n\r\n")[0] ?? "").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ received: text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers });
    });
    socket.on("connect", async () => {
      socket.write(head);
      for (const part of body) {
        if (socket.destroyed || !socket.writable) break;
        if (!socket.write(part)) await new Promise((r) => socket.once("drain", r).once("close", r));
      }
    });
  });
}
