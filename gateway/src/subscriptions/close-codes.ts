/**
 * WebSocket close codes the gateway's subscription server uses, beside graphql-ws's own (4400
 * bad request, 4403 forbidden, 4408 init timeout, 4409 duplicate id, 4429 too many inits). Clients
 * may retry 1001, 4029 and 4013 (graphql-ws's client does by default); 4401 needs a fresh token.
 */
export const LiveCloseCode = {
  /** The gateway is draining: reconnect, a load balancer sends you to another instance. */
  GoingAway: 1001,
  /** A message larger than SUBSCRIPTIONS_MAX_MESSAGE_BYTES (sent by `ws` itself). */
  MessageTooBig: 1009,
  /** The access token is invalid or has expired (graphql-ws's Unauthorized): reconnect with a fresh one. */
  Unauthorized: 4401,
  /** Too many sockets for this user or this address (SUBSCRIPTIONS_MAX_SOCKETS_PER_USER / _PER_IP). */
  TooManySockets: 4029,
  /** The client did not read its messages fast enough; dropped so the gateway's memory stays bounded. */
  SlowConsumer: 4013,
} as const;
