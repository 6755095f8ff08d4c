import { DateTimeScalar, JSONScalar } from "@agora/platform";
import type { Resolvers } from "../generated/graphql.js";
import { AuditEvent } from "./audit-event.resolvers.js";
import { Mutation } from "./mutation.resolvers.js";
import { Query } from "./query.resolvers.js";
import { User } from "./user.resolvers.js";

export const resolvers: Resolvers = { DateTime: DateTimeScalar, JSON: JSONScalar, Query, Mutation, User, AuditEvent };
