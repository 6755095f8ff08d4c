/**
 * Reviews does not own offers and never reads the offers schema. Whether an offer exists, is
 * ACTIVE and who sells it is asked of the offers subgraph through its federation entity endpoint,
 * exactly as the gateway would. An interface, so tests (and other deployments) can plug in their own.
 */
import { identityHeader, serviceUnavailable } from "@agora/platform";

export interface OfferSummary {
  id: string;
  /** DRAFT | ACTIVE | ARCHIVED as the offers subgraph reports it. */
  status: string;
  sellerId: string | null;
}

export interface OfferDirectory {
  /**
   * The offer as its owner sees it for this caller, or null when it does not exist (or is not
   * visible to the caller). Throws SERVICE_UNAVAILABLE when the offers subgraph cannot answer.
   * @param identity the caller's signed `x-agora-identity` header, forwarded as is.
   */
  findOffer(id: string, identity: string | null): Promise<OfferSummary | null>;
}

export interface HttpOfferDirectoryOptions {
  /** The offers subgraph's base URL or its /graphql URL. @defaultValue http://127.0.0.1:4102 */
  url: string;
  /** Give up after this long. @defaultValue 3000 */
  timeoutMs?: number;
}

const entitiesQuery = "query($r:[_Any!]!){ _entities(representations:$r){ ... on Offer { id status seller { id } } } }";

const notThereCodes = new Set(["NOT_FOUND", "FORBIDDEN", "BAD_USER_INPUT"]);

interface EntitiesResponse {
  data?: { _entities?: ({ id: string; status: string; seller: { id: string } | null } | null)[] } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The graphql endpoint of a subgraph given either its base URL or the endpoint itself. */
export const graphqlEndpoint = (url: string) =>
  new URL(url).pathname.replace(/\/+$/, "").endsWith("/graphql") ? url : `${url.replace(/\/+$/, "")}/graphql`;

export function createHttpOfferDirectory(options: HttpOfferDirectoryOptions): OfferDirectory {
  const endpoint = graphqlEndpoint(options.url);
  const timeoutMs = options.timeoutMs ?? 3000;
  const unavailable = (why: string) =>
    serviceUnavailable(
      `The offers subgraph at ${endpoint} could not be asked about the offer (${why}). Start it or set OFFERS_SUBGRAPH_URL.`,
    );

  return {
    async findOffer(id, identity) {
      let body: EntitiesResponse;
      try {
        const response = await fetch(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            // Apollo Server's CSRF prevention wants a non-simple request.
            "apollo-require-preflight": "true",
            ...(identity ? { [identityHeader]: identity } : {}),
          },
          body: JSON.stringify({ query: entitiesQuery, variables: { r: [{ __typename: "Offer", id }] } }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok && !(response.headers.get("content-type") ?? "").includes("json")) throw new Error(`HTTP ${response.status}`);
        body = (await response.json()) as EntitiesResponse;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        throw unavailable(cause ?? (error as Error).message);
      }
      const entity = body.data?._entities?.[0];
      if (entity === undefined) throw unavailable(body.errors?.[0]?.message ?? "no _entities in the answer");
      if (entity === null) {
        // An offer the caller may not see is, for them, an offer that does not exist; anything
        // else (the offers database is down, secrets differ) is the offers subgraph failing.
        const failure = body.errors?.find((e) => !notThereCodes.has(e.extensions?.code ?? ""));
        if (failure) throw unavailable(`${failure.extensions?.code ?? "error"}: ${failure.message}`);
        return null;
      }
      return { id: entity.id, status: entity.status, sellerId: entity.seller?.id ?? null };
    },
  };
}
