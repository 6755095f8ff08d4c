// k6 load script (for users with k6; run: k6 run k6/federated-read.ts). Type-checked with @types/k6
// by `pnpm typecheck:k6`. The read-heavy mix from DESIGN.md: mostly the federated offers query.
import http from "k6/http";
import { check } from "k6";
import type { Options } from "k6/options";

const endpoint = __ENV.AGORA_URL ?? "http://127.0.0.1:4000/graphql";

export const options: Options = {
  scenarios: {
    reads: { executor: "constant-vus", vus: 50, duration: "60s" },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    "http_req_duration{kind:federated}": ["p(95)<200"],
  },
};

const federated =
  "{ offers(first: 5) { totalCount edges { node { title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }";
const offersOnly = "{ offers(first: 10) { edges { node { id title price { amount currency } } } } }";
const search = '{ searchOffers(query: "bike", first: 10) { edges { node { title } } } }';

export default function (): void {
  const roll = Math.random();
  const [kind, query] = roll < 0.7 ? ["federated", federated] : roll < 0.9 ? ["offers", offersOnly] : ["search", search];
  const response = http.post(endpoint, JSON.stringify({ query }), { headers: { "content-type": "application/json" }, tags: { kind } });
  check(response, {
    "status 200": (r) => r.status === 200,
    "no errors": (r) => !(r.json() as { errors?: unknown }).errors,
  });
}
