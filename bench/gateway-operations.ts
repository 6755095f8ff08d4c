/**
 * The three loads of `pnpm bench`, as pools of request bodies: (a) the README's federated query,
 * (b) a varied federated mix, (c) a read-heavy mix with 10 % writes by signed-in users on the data
 * the reads show. Bodies are plain `{query, variables}`; `persisted` turns a pool into automatic
 * persisted queries (hash only), as a client of a gateway with APQ sends them.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { issueAccessToken } from "@agora/platform";
import { jwtSecret } from "./services.js";

export const federatedQuery =
  "{ offers(first: 5) { totalCount edges { node { title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }";

const offersPage = `query OffersPage($first: Int!) { offers(first: $first) { totalCount edges { node { id title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }`;
const offerDetail = `query OfferDetail($id: ID!, $first: Int!) { offer(id: $id) { id title description price { amount currency } category seller { id displayName } rating { average count } reviews(first: $first) { totalCount edges { node { rating body author { displayName } } } } } }`;
const sellerPage = `query SellerPage($id: ID!, $first: Int!) { user(id: $id) { id displayName offers(first: $first) { totalCount edges { node { id title price { amount currency } rating { average count } } } } } }`;
const categoryPage = `query CategoryPage($category: String!, $first: Int!) { offers(first: $first, filter: { category: $category }) { edges { node { id title seller { displayName } reviews(first: 2) { edges { node { rating author { displayName } } } } } } } }`;
const updateOffer = `mutation RenameOffer($id: ID!, $title: String!) { updateOffer(id: $id, input: { title: $title }) { id title } }`;
const updateProfile = `mutation Rename($displayName: String!) { updateProfile(input: { displayName: $displayName }) { id displayName } }`;
const updateReview = `mutation Rerate($id: ID!, $rating: Int!) { updateReview(id: $id, input: { rating: $rating }) { id rating } }`;

export interface PooledRequest {
  body: string;
  headers?: Record<string, string>;
}

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
}

const toRequest = ({ query, variables, token }: Operation): PooledRequest => ({
  body: JSON.stringify(variables ? { query, variables } : { query }),
  ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The same requests as APQ would send them once registered: the query's hash instead of its text. */
export function persisted(pool: PooledRequest[]): PooledRequest[] {
  return pool.map(({ body, headers }) => {
    const { query, ...rest } = JSON.parse(body) as { query: string };
    return { body: JSON.stringify({ ...rest, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }), headers };
  });
}

/** Registers every distinct query of `pool` with a gateway's APQ (hash and text once each). */
export async function registerPersisted(url: string, pool: PooledRequest[]): Promise<void> {
  const seen = new Map<string, PooledRequest>();
  for (const request of pool) seen.set((JSON.parse(request.body) as { query: string }).query, request);
  for (const [query, request] of seen) {
    const { variables } = JSON.parse(request.body) as { variables?: unknown };
    const answer = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...request.headers },
      body: JSON.stringify({ query, variables, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }),
    });
    const json = (await answer.json()) as { errors?: unknown };
    if (!answer.ok || json.errors) throw new Error(`registering a persisted query failed: ${answer.status} ${JSON.stringify(json)}`);
  }
}

/** A small deterministic generator, so every run (and every gateway) gets the same mix. */
function random(seed: number) {
  let state = seed >>> 0;
  return (below: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
}

/** What the mixes read and write: the newest ACTIVE offers (page one), their sellers, their reviews. */
export interface HotSet {
  offers: { id: string; sellerId: string; title: string; category: string }[];
  sellers: { id: string; displayName: string; token: string }[];
  reviews: { id: string; authorId: string; rating: number; token: string }[];
  /** Offers and users further down, for the varied mix. */
  otherOfferIds: string[];
  otherUserIds: string[];
}

export async function loadHotSet(databaseUrl: string): Promise<HotSet> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const offers = (
      await client.query<{ id: string; sellerId: string; title: string; category: string }>(
        `SELECT id, seller_id AS "sellerId", title, category FROM offers.offers WHERE status = 'ACTIVE' ORDER BY created_at DESC, id DESC LIMIT 10`,
      )
    ).rows;
    const sellerIds = [...new Set(offers.map((o) => o.sellerId))];
    const sellers = (
      await client.query<{ id: string; displayName: string }>(
        `SELECT id, display_name AS "displayName" FROM users.users WHERE id = ANY($1::uuid[])`,
        [sellerIds],
      )
    ).rows;
    const reviews = (
      await client.query<{ id: string; authorId: string; rating: number }>(
        `SELECT id, author_id AS "authorId", rating FROM reviews.reviews WHERE offer_id = ANY($1::uuid[]) AND moderation_status <> 'REJECTED' ORDER BY id LIMIT 20`,
        [offers.map((o) => o.id)],
      )
    ).rows;
    const otherOfferIds = (
      await client.query<{ id: string }>(`SELECT id FROM offers.offers WHERE status = 'ACTIVE' ORDER BY id LIMIT 200`)
    ).rows.map((r) => r.id);
    const otherUserIds = (
      await client.query<{ id: string }>(`SELECT id FROM users.users WHERE role = 'USER' ORDER BY id LIMIT 100`)
    ).rows.map((r) => r.id);
    const settings = { secret: jwtSecret, issuer: "agora-users", audience: "agora-api", ttlSeconds: 3600 };
    const token = (userId: string) => issueAccessToken({ userId, role: "USER" }, settings);
    return {
      offers,
      sellers: await Promise.all(sellers.map(async (s) => ({ ...s, token: await token(s.id) }))),
      reviews: await Promise.all(reviews.map(async (r) => ({ ...r, token: await token(r.authorId) }))),
      otherOfferIds,
      otherUserIds,
    };
  } finally {
    await client.end();
  }
}

/** (a) The README's federated query, anonymous. */
export const sameQuery = (): PooledRequest[] => [toRequest({ query: federatedQuery })];

/** (b) Four federated operations, `first` from 1 to 10, across 200 offers and 100 users, anonymous. */
export function variedMix(hot: HotSet, size = 400): PooledRequest[] {
  const pick = random(8);
  const categories = [...new Set(hot.offers.map((o) => o.category))];
  return Array.from({ length: size }, (_, i) => {
    const first = 1 + pick(10);
    switch (i % 4) {
      case 0:
        return toRequest({ query: offersPage, variables: { first } });
      case 1:
        return toRequest({ query: offerDetail, variables: { id: hot.otherOfferIds[pick(hot.otherOfferIds.length)], first } });
      case 2:
        return toRequest({ query: sellerPage, variables: { id: hot.otherUserIds[pick(hot.otherUserIds.length)], first } });
      default:
        return toRequest({ query: categoryPage, variables: { category: categories[pick(categories.length)], first } });
    }
  });
}

/**
 * (c) 90 % reads of page one, its offers and their sellers, 10 % writes that change exactly what
 * those reads show (an offer's title, a seller's display name, a review's rating, hence the offer's
 * rating), every request signed in as one of the sellers or reviewers (`readers: "anonymous"`, load
 * (c2): the reads are not signed in, the writes still are). Writes are updates, not
 * createReview, so the benchmark database stays the same size from run to run; `restoreHotSet`
 * puts the original values back afterwards.
 */
export function readHeavyMix(hot: HotSet, size = 1000, readers: "signed-in" | "anonymous" = "signed-in"): PooledRequest[] {
  const pick = random(10);
  const tokens = [...hot.sellers.map((s) => s.token), ...hot.reviews.map((r) => r.token)];
  const offerById = new Map(hot.offers.map((o) => [o.id, o]));
  const sellerById = new Map(hot.sellers.map((s) => [s.id, s]));
  return Array.from({ length: size }, (_, i) => {
    const token = tokens[pick(tokens.length)]!;
    if (i % 10 === 9) {
      const version = pick(5);
      switch (pick(3)) {
        case 0: {
          const offer = hot.offers[pick(hot.offers.length)]!;
          return toRequest({
            query: updateOffer,
            variables: { id: offer.id, title: `${offer.title.slice(0, 100)} (${version})` },
            token: sellerById.get(offer.sellerId)!.token,
          });
        }
        case 1: {
          const seller = hot.sellers[pick(hot.sellers.length)]!;
          return toRequest({
            query: updateProfile,
            variables: { displayName: `${seller.displayName.slice(0, 50)} ${version}` },
            token: seller.token,
          });
        }
        default: {
          const review = hot.reviews[pick(hot.reviews.length)]!;
          return toRequest({ query: updateReview, variables: { id: review.id, rating: 1 + version }, token: review.token });
        }
      }
    }
    // (c2): the same reads by shoppers who are not signed in (the writes stay the sellers' and reviewers').
    const reader = readers === "signed-in" ? token : undefined;
    switch (pick(3)) {
      case 0:
        return toRequest({ query: offersPage, variables: { first: 10 }, token: reader });
      case 1:
        return toRequest({ query: offerDetail, variables: { id: hot.offers[pick(hot.offers.length)]!.id, first: 3 }, token: reader });
      default: {
        const offer = offerById.get(hot.offers[pick(hot.offers.length)]!.id)!;
        return toRequest({ query: sellerPage, variables: { id: offer.sellerId, first: 5 }, token: reader });
      }
    }
  });
}

/** Puts back the titles, display names and ratings the read-heavy mix changed, through `url`. */
export async function restoreHotSet(url: string, hot: HotSet): Promise<void> {
  const sellerToken = new Map(hot.sellers.map((s) => [s.id, s.token]));
  const writes: Operation[] = [
    ...hot.offers.map((o) => ({ query: updateOffer, variables: { id: o.id, title: o.title }, token: sellerToken.get(o.sellerId)! })),
    ...hot.sellers.map((s) => ({ query: updateProfile, variables: { displayName: s.displayName }, token: s.token })),
    ...hot.reviews.map((r) => ({ query: updateReview, variables: { id: r.id, rating: r.rating }, token: r.token })),
  ];
  for (const write of writes) {
    const { body, headers } = toRequest(write);
    const answer = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const json = (await answer.json()) as { errors?: unknown };
    if (json.errors) throw new Error(`restoring the read-heavy mix's data failed: ${JSON.stringify(json.errors)}`);
  }
}

/** One request of each kind the loads send, to compare two gateways' answers before measuring. */
export function probes(hot: HotSet): { name: string; request: PooledRequest }[] {
  const seller = hot.sellers[0]!;
  const offer = hot.offers[0]!;
  return [
    { name: "README federated query", request: toRequest({ query: federatedQuery }) },
    { name: "OffersPage(first: 7)", request: toRequest({ query: offersPage, variables: { first: 7 } }) },
    { name: "OfferDetail", request: toRequest({ query: offerDetail, variables: { id: offer.id, first: 4 } }) },
    { name: "SellerPage", request: toRequest({ query: sellerPage, variables: { id: seller.id, first: 3 } }) },
    { name: "CategoryPage", request: toRequest({ query: categoryPage, variables: { category: offer.category, first: 4 } }) },
    // Signed in: proves the identity reaches the subgraphs (null when it does not).
    { name: "me (signed in)", request: toRequest({ query: "{ me { id displayName } }", token: seller.token }) },
  ];
}
