import { chunk, lastChunk, sendUntilClosed } from "../support/raw-http.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let port: number;
let token: string;
beforeAll(async () => {
  // The stack's gateway takes GraphQL bodies up to 64 KiB; the jobs service uploads up to 10 MiB.
  stack = await startStack({ label: "bodylimit", seed: { users: 4, offers: 2, reviewsPerOffer: 1 } });
  port = Number(new URL(stack.gatewayUrl).port);
  token = (await stack.login("alice@agora.test")).accessToken;
});
afterAll(async () => {
  await stack?.stop();
});

function* chunks(totalBytes: number, make: (size: number) => Buffer = (size) => Buffer.alloc(size, "a"), end = Buffer.alloc(0)) {
  const size = 64 * 1024;
  for (let sent = 0; sent < totalBytes; sent += size) yield chunk(make(size));
  if (end.length) yield chunk(end);
  yield lastChunk;
}

const stillAnswers = async () => {
  const response = await stack.query("{ __typename }");
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ __typename: "Query" });
};

describe("an over-limit body gets 413 and its connection is closed; the next connection works", () => {
  it("a 2 MB chunked GraphQL body without Content-Length", async () => {
    const head = "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const result = await sendUntilClosed(port, head, chunks(2 * 1024 * 1024));
    expect(result.status).toBe(413);
    expect(result.headers.connection).toBe("close");
    expect(result.received).toMatch(/larger than the limit of 65536 bytes/);
    await stillAnswers();
  }, 30_000);

  it("a declared Content-Length over the limit, before the body is sent", async () => {
    const head = "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n";
    const result = await sendUntilClosed(port, head, [Buffer.alloc(1024, "a")]);
    expect(result.status).toBe(413);
    expect(result.headers.connection).toBe("close");
    expect(result.received).toMatch(/2097152 bytes; the limit is 65536 bytes/);
    await stillAnswers();
  }, 30_000);

  it("an upload declaring more than the gateway passes on", async () => {
    const head = `POST /upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n`;
    const result = await sendUntilClosed(port, head, [Buffer.alloc(1024, "a")]);
    expect(result.status).toBe(413);
    expect(result.headers.connection).toBe("close");
    await stillAnswers();
  }, 30_000);

  it("a chunked upload larger than the jobs service accepts, through the gateway's proxy", async () => {
    const boundary = "agoraboundary";
    const head = `POST /upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    // A PNG signature first, so the file is refused for its size, not its type.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const partHead = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    let first = true;
    const body = chunks(
      11 * 1024 * 1024,
      (size) => {
        if (!first) return Buffer.alloc(size, 0);
        first = false;
        return Buffer.concat([partHead, png, Buffer.alloc(size, 0)]);
      },
      Buffer.from(`\r\n--${boundary}--\r\n`),
    );
    const result = await sendUntilClosed(port, head, body);
    expect(result.status).toBe(413);
    expect(result.headers.connection).toBe("close");
    await stillAnswers();
  }, 30_000);
});
