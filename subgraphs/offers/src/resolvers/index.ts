import { DateTimeScalar } from "@agora/platform";
import type { Resolvers } from "../generated/graphql.js";
import { Mutation } from "./mutation.resolvers.js";
import { Offer } from "./offer.resolvers.js";
import { Query } from "./query.resolvers.js";
import { User } from "./user.resolvers.js";

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Offer, User };
