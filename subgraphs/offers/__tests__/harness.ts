/** Starts the offers subgraph on a free port over a database of its own (one per test file). */
import { randomUUID } from "node:crypto";
import { createDatabase, type Database } from "@agora/platform/database";
import { createLogger, identityHeader, signIdentity, type Identity } from "@agora/platform";
import { type SubgraphRuntime } from "@agora/platform/subgraph";
import { createTestDatabase, graphqlRequest, type GraphQLResponse } from "@agora/platform/testing";
import { createOffersSubgraph, type OffersSubgraphOptions } from "../src/server.js";

export const internalSecret = "offers-test-internal-secret-0123456789abcdef";

export interface OffersHarness {
  url: string;
  db: Database;
  /** The test database's connection string (for processes and LISTEN connections of its own). */
  databaseUrl: string;
  runtime: SubgraphRuntime;
  /** Sends an operation, as `as` when given (signed like the gateway does). */
  request<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Identity | null): Promise<GraphQLResponse<T>>;
  /** Creates an offer through the API as `seller` and publishes it unless `publish: false`. */
  createOffer(seller: Identity, input?: Partial<OfferInput>, options?: { publish?: boolean }): Promise<OfferResult>;
  stop(): Promise<void>;
}

export interface OfferInput {
  title: string;
  description: string;
  price: { amount: string; currency: string };
  category: string;
  tags: string[];
  location: { lat: number; lng: number };
}

export interface OfferResult {
  id: string;
  title: string;
  status: string;
  price: { amount: string; currency: string };
  seller: { id: string };
  createdAt: string;
}

export const offerFields = `id title description price { amount currency } category tags location { lat lng } status seller { id } createdAt updatedAt`;
export const createOfferMutation = `mutation Create($input: CreateOfferInput!) { createOffer(input: $input) { ${offerFields} } }`;
export const updateOfferMutation = `mutation Update($id: ID!, $input: UpdateOfferInput!) { updateOffer(id: $id, input: $input) { ${offerFields} } }`;
export const publishOfferMutation = `mutation Publish($id: ID!) { publishOffer(id: $id) { ${offerFields} } }`;
export const archiveOfferMutation = `mutation Archive($id: ID!) { archiveOffer(id: $id) { ${offerFields} } }`;
export const offerQuery = `query Offer($id: ID!) { offer(id: $id) { ${offerFields} } }`;

export const validInput = (overrides: Partial<OfferInput> = {}): OfferInput => ({
  title: "Road bike, 56 cm frame",
  description: "Aluminium frame, Shimano 105, ridden for two seasons.",
  price: { amount: "450.00", currency: "EUR" },
  category: "sports",
  tags: ["bike", "road"],
  location: { lat: 52.52, lng: 13.405 },
  ...overrides,
});

export const user = (role: Identity["role"] = "USER"): Identity => ({ userId: randomUUID(), role });

export async function startOffers(label: string, options: OffersSubgraphOptions = {}): Promise<OffersHarness> {
  const databaseUrl = await createTestDatabase(label);
  const db = createDatabase({ url: databaseUrl, poolSize: 4 });
  const runtime: SubgraphRuntime = {
    db,
    log: createLogger("offers-test", "silent"),
    internalSecret,
    bodyLimitBytes: 1_048_576,
    exposeErrorDetails: false,
  };
  const server = await createOffersSubgraph(runtime, options);
  const running = await server.listen(0, "127.0.0.1");
  const request: OffersHarness["request"] = async (query, variables, as) => {
    const headers: Record<string, string> = as ? { [identityHeader]: await signIdentity(as, internalSecret) } : {};
    return graphqlRequest(running.url, query, variables, headers);
  };
  return {
    url: running.url,
    db,
    databaseUrl,
    runtime,
    request,
    async createOffer(seller, input = {}, { publish = true } = {}) {
      const created = await request(createOfferMutation, { input: validInput(input) }, seller);
      if (created.errors) throw new Error(`createOffer failed: ${JSON.stringify(created.errors)}`);
      if (!publish) return created.data!.createOffer as OfferResult;
      const published = await request(publishOfferMutation, { id: created.data!.createOffer.id }, seller);
      if (published.errors) throw new Error(`publishOffer failed: ${JSON.stringify(published.errors)}`);
      return published.data!.publishOffer as OfferResult;
    },
    async stop() {
      await server.stop();
      await db.disconnect();
    },
  };
}

export const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.code);
export const fields = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.field);
