/**
 * Test harness: a reviews subgraph on a free port over a database of its own, and a tiny real HTTP
 * server standing in for the offers subgraph (it answers the `_entities` lookup createReview makes,
 * through the production HttpOfferDirectory; no module mocks).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { createDatabase, type Database } from "@agora/platform/database";
import { createLogger, signIdentity, type Identity } from "@agora/platform";
import { type SubgraphRuntime, type SubgraphServer } from "@agora/platform/subgraph";
import { createTestDatabase, graphqlRequest, type GraphQLResponse } from "@agora/platform/testing";
import { createHttpOfferDirectory } from "../src/data/offer-directory.js";
import { createReviewsSubgraph } from "../src/server.js";

export const secret = "reviews-test-internal-secret-0123456789";

export interface StubOffer {
  status: "DRAFT" | "ACTIVE" | "ARCHIVED";
  sellerId: string;
}

export interface OfferStub {
  url: string;
  offers: Map<string, StubOffer>;
  /** x-agora-identity headers received, in order. */
  identities: (string | undefined)[];
  /** Adds an ACTIVE offer (or the given state) and returns its id. */
  add(offer?: Partial<StubOffer>): string;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export async function startOfferStub(): Promise<OfferStub> {
  const offers = new Map<string, StubOffer>();
  const identities: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      identities.push(req.headers["x-agora-identity"] as string | undefined);
      const representations = (body.variables?.r ?? []) as { __typename: string; id: string }[];
      const ok = req.method === "POST" && req.url === "/graphql" && String(body.query).includes("_entities");
      const payload = ok
        ? {
            data: {
              _entities: representations.map(({ id }) => {
                const offer = offers.get(id);
                return offer ? { __typename: "Offer", id, status: offer.status, seller: { id: offer.sellerId } } : null;
              }),
            },
          }
        : { errors: [{ message: "unexpected request", extensions: { code: "BAD_USER_INPUT" } }] };
      res.writeHead(ok ? 200 : 400, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    offers,
    identities,
    add(offer = {}) {
      const id = randomUUID();
      offers.set(id, { status: "ACTIVE", sellerId: randomUUID(), ...offer });
      return id;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ReviewsHarness {
  url: string;
  db: Database;
  runtime: SubgraphRuntime;
  offers: OfferStub;
  request<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Identity | null): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  poolSize?: number;
  /** Where the offer directory looks; the stub's URL unless given. */
  offersUrl?: string;
  offersTimeoutMs?: number;
}

export async function startReviews(label: string, options: HarnessOptions = {}): Promise<ReviewsHarness> {
  const db = createDatabase({ url: await createTestDatabase(label), poolSize: options.poolSize ?? 10 });
  const runtime: SubgraphRuntime = {
    db,
    log: createLogger("reviews-test", "silent"),
    internalSecret: secret,
    bodyLimitBytes: 1_048_576,
    exposeErrorDetails: false,
  };
  const offers = await startOfferStub();
  const server: SubgraphServer = await createReviewsSubgraph(runtime, {
    offers: createHttpOfferDirectory({ url: options.offersUrl ?? offers.url, timeoutMs: options.offersTimeoutMs ?? 3000 }),
  });
  const running = await server.listen(0, "127.0.0.1");
  return {
    url: `${running.url}/graphql`,
    db,
    runtime,
    offers,
    async request(query, variables = {}, as = null) {
      const headers: Record<string, string> = {};
      if (as) headers["x-agora-identity"] = await signIdentity(as, secret);
      return graphqlRequest(`${running.url}/graphql`, query, variables, headers);
    },
    async stop() {
      await server.stop();
      await offers.close();
      await db.disconnect();
    },
  };
}

export const user = (): Identity => ({ userId: randomUUID(), role: "USER" });
export const moderator = (): Identity => ({ userId: randomUUID(), role: "MODERATOR" });
export const admin = (): Identity => ({ userId: randomUUID(), role: "ADMIN" });

export const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.code);

export const reviewFields = "id rating body moderationStatus sentiment createdAt updatedAt author { id } offer { id }";
export const createMutation = `mutation($input: CreateReviewInput!) { createReview(input: $input) { ${reviewFields} } }`;
export const updateMutation = `mutation($id: ID!, $input: UpdateReviewInput!) { updateReview(id: $id, input: $input) { ${reviewFields} } }`;
export const deleteMutation = "mutation($id: ID!) { deleteReview(id: $id) }";
export const moderateMutation = `mutation($id: ID!, $status: ModerationStatus!) { moderateReview(id: $id, status: $status) { ${reviewFields} } }`;

/** Creates a review through the API and returns it; fails the test on errors. */
export async function createReviewAs(h: ReviewsHarness, author: Identity, offerId: string, rating: number, body = `Rated ${rating}`) {
  const response = await h.request(createMutation, { input: { offerId, rating, body } }, author);
  if (response.errors) throw new Error(`createReview failed: ${JSON.stringify(response.errors)}`);
  return response.data!.createReview as { id: string; rating: number; moderationStatus: string; createdAt: string };
}

export const offerRatingQuery = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Offer { id rating { average count distribution { stars count } } } } }`;

export async function offerRating(h: ReviewsHarness, offerId: string, as: Identity | null = null) {
  const response = await h.request(offerRatingQuery, { r: [{ __typename: "Offer", id: offerId }] }, as);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!._entities[0].rating as { average: number | null; count: number; distribution: { stars: number; count: number }[] };
}
