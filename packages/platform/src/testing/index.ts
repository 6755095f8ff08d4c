export { createTestDatabase, testKeyPrefix, testRedisUrl, testServerUrl } from "./test-database.js";
export { graphqlRequest, type GraphQLResponse } from "./graphql-request.js";
export { eventually, throwawayRedis, unusedPort, type ThrowawayRedis } from "./redis-server.js";
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";
