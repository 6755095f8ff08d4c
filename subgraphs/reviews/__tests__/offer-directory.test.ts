import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createHttpOfferDirectory, graphqlEndpoint } from "../src/data/offer-directory.js";
import { codes, createMutation, startReviews, user } from "./harness.js";

/** A port nothing listens on: bind one, then close it. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe("offers subgraph lookup", () => {
  it("answers SERVICE_UNAVAILABLE naming the URL when the offers subgraph is unreachable, and writes nothing", async () => {
    const offersUrl = await closedPortUrl();
    const h = await startReviews("offersdown", { offersUrl });
    try {
      const response = await h.request(createMutation, { input: { offerId: h.offers.add(), rating: 4, body: "hello" } }, user());
      expect(codes(response)).toEqual(["SERVICE_UNAVAILABLE"]);
      expect(response.errors![0]!.message).toContain(`${offersUrl}/graphql`);
      expect(await h.db.primary.review.count()).toBe(0);
    } finally {
      await h.stop();
    }
  });

  it("tells an offer that does not exist from an offers subgraph that fails", async () => {
    // A stand-in that fails the way a subgraph with a broken database would.
    const failing = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          data: { _entities: [null] },
          errors: [{ message: "Something went wrong", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
        }),
      );
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/graphql`;
    try {
      const directory = createHttpOfferDirectory({ url });
      await expect(directory.findOffer("0b9e4c2e-7d5c-4c39-9f0e-1f0b1d0c9a11", null)).rejects.toMatchObject({
        extensions: { code: "SERVICE_UNAVAILABLE" },
        message: expect.stringContaining(url),
      });
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });

  it("accepts the subgraph's base URL or its /graphql URL", () => {
    expect(graphqlEndpoint("http://127.0.0.1:4102")).toBe("http://127.0.0.1:4102/graphql");
    expect(graphqlEndpoint("http://127.0.0.1:4102/")).toBe("http://127.0.0.1:4102/graphql");
    expect(graphqlEndpoint("http://127.0.0.1:4102/graphql")).toBe("http://127.0.0.1:4102/graphql");
    expect(graphqlEndpoint("http://offers.internal/api")).toBe("http://offers.internal/api/graphql");
  });
});
