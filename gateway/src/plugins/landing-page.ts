/**
 * What a browser sees at /graphql: Apollo Sandbox in development and tests, the production landing
 * page (no embedded explorer, nothing that needs introspection) in production.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from "@apollo/server/plugin/landingPage/default";

export function landingPage(production: boolean): ApolloServerPlugin {
  return production
    ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
    : ApolloServerPluginLandingPageLocalDefault({ footer: false });
}
