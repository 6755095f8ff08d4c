import { DateTimeScalar, JSONScalar } from "@agora/platform";
import type { Resolvers } from "../generated/graphql.js";
import { jobResolvers } from "./job.resolvers.js";
import { notificationResolvers } from "./notification.resolvers.js";
import { offerResolvers } from "./offer.resolvers.js";

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  ...jobResolvers,
  ...offerResolvers,
  ...notificationResolvers,
  Query: { ...jobResolvers.Query, ...notificationResolvers.Query },
};
