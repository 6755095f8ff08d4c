/**
 * Without a schema of its own, Apollo Server leaves choosing the operation named by `operationName`
 * to @apollo/gateway, which refuses an unknown name with a federation error that has no public code,
 * so `formatError` hides it as INTERNAL_SERVER_ERROR (500) for what is a client's mistake. Apollo
 * Server with a schema answers OPERATION_RESOLUTION_FAILURE with 400; this plugin makes the gateway
 * answer the same, before any query planning.
 */
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { GraphQLError } from "graphql";
import { ErrorCode, httpStatusFor } from "@agora/platform";

export function operationResolutionPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName
            ? `Unknown operation named "${request.operationName}".`
            : "Must provide operation name if query contains multiple operations.";
          const code = ErrorCode.OPERATION_RESOLUTION_FAILURE;
          throw new GraphQLError(message, { extensions: { code, http: { status: httpStatusFor(code) } } });
        },
      };
    },
  };
}
