import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

/** ISO-8601 timestamps in, ISO-8601 strings out. */
export const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  description: "An ISO-8601 timestamp, e.g. 2026-11-21T19:00:00.000Z",
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    const date = new Date(String(value));
    if (typeof value !== "string" || Number.isNaN(date.getTime())) {
      throw new GraphQLError(`DateTime must be an ISO-8601 string, got ${JSON.stringify(value)}`, {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return date;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError("DateTime must be an ISO-8601 string", { extensions: { code: "BAD_USER_INPUT" } });
    }
    return new Date(ast.value);
  },
});

/** Arbitrary JSON values (job input and result). */
export const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  description: "Any JSON value",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral(ast) {
    const read = (node: typeof ast): unknown => {
      switch (node.kind) {
        case Kind.STRING:
        case Kind.BOOLEAN:
          return node.value;
        case Kind.INT:
        case Kind.FLOAT:
          return Number(node.value);
        case Kind.NULL:
          return null;
        case Kind.LIST:
          return node.values.map(read);
        case Kind.OBJECT:
          return Object.fromEntries(node.fields.map((f) => [f.name.value, read(f.value)]));
        default:
          throw new GraphQLError("JSON literals cannot contain variables", { extensions: { code: "BAD_USER_INPUT" } });
      }
    };
    return read(ast);
  },
});
