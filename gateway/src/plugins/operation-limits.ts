/**
 * Operation limits: depth, aliases, root fields, directives, tokens and estimated cost. An operation
 * over any of them is refused with OPERATION_TOO_COMPLEX (HTTP 400) and a message naming the limit,
 * its configuration variable and the value found, before the query planner or any subgraph sees it.
 *
 * Depth, aliases and directives are graphql-armor's validation rules; root fields is a small rule
 * here (armor has none). Tokens are capped while parsing (graphql-js's `maxTokens`, so a huge
 * document is never parsed in full) and the abort is turned into our refusal, with the count from a
 * lexer pass (cheap next to parsing). Cost needs the request's variables (`first: $n`), which
 * validation rules do not see, so it is checked once the operation is resolved.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { Counter, type Registry } from "prom-client";
import { ErrorCode } from "@agora/platform";
import type { CostedRequest } from "./operation-cost.js";

export type OperationLimitKind = "depth" | "aliases" | "rootFields" | "directives" | "tokens" | "cost";

/** Every limit is a maximum; the README's configuration table gives the defaults (gateway/src/config.ts). */
export interface OperationLimitsOptions {
  /** Deepest field nesting, leaf fields included (`{ a { b } }` is 2). @defaultValue 10 (OPERATION_MAX_DEPTH) */
  maxDepth: number;
  /** Aliased fields in the operation, fragments included (`__typename` aliases are free). @defaultValue 15 (OPERATION_MAX_ALIASES) */
  maxAliases: number;
  /** Fields selected at the root of the operation. @defaultValue 10 (OPERATION_MAX_ROOT_FIELDS) */
  maxRootFields: number;
  /** Directives used anywhere in the operation. @defaultValue 50 (OPERATION_MAX_DIRECTIVES) */
  maxDirectives: number;
  /** Lexical tokens of the whole document (comments excluded); parsing stops there. @defaultValue 1000 (OPERATION_MAX_TOKENS) */
  maxTokens: number;
  /** Estimated cost, see operation-cost.ts. @defaultValue 5000 (OPERATION_MAX_COST) */
  maxCost: number;
  /** The shared cost estimator (the rate limiter uses the same one). */
  cost: (request: CostedRequest) => number;
  /** Where `agora_gateway_operation_limit_hits_total` is registered. */
  registry: Registry;
}

const describe: Record<OperationLimitKind, { what: string; variable: string }> = {
  depth: { what: "depth", variable: "OPERATION_MAX_DEPTH" },
  aliases: { what: "number of aliases", variable: "OPERATION_MAX_ALIASES" },
  rootFields: { what: "number of root fields", variable: "OPERATION_MAX_ROOT_FIELDS" },
  directives: { what: "number of directives", variable: "OPERATION_MAX_DIRECTIVES" },
  tokens: { what: "number of tokens", variable: "OPERATION_MAX_TOKENS" },
  cost: { what: "estimated cost", variable: "OPERATION_MAX_COST" },
};

export class OperationTooComplexError extends GraphQLError {
  constructor(
    readonly limit: OperationLimitKind,
    readonly maximum: number,
    readonly found: number,
  ) {
    const { what, variable } = describe[limit];
    const shown = Number.isFinite(found) ? String(found) : "too large to count";
    super(`Operation too complex: its ${what} is ${shown}, above the limit of ${maximum} (${variable}).`, {
      extensions: {
        code: ErrorCode.OPERATION_TOO_COMPLEX,
        limit,
        maximum,
        found: Number.isFinite(found) ? found : null,
        http: { status: 400, headers: new HeaderMap() },
      },
    });
    this.name = "OperationTooComplexError";
  }
}

type ArmorRule = (options: {
  n: number;
  exposeLimits: boolean;
  propagateOnRejection: boolean;
  onReject: ((context: ValidationContext | null, error: GraphQLError) => void)[];
}) => (context: ValidationContext) => unknown;

/** Armor reports "…limit of N exceeded, found M."; the number found is what the client needs. */
function armorRule(kind: OperationLimitKind, maximum: number, rule: ArmorRule): ValidationRule {
  return rule({
    n: maximum,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context, error) => {
        const found = Number(/found (\d+)/.exec(error.message)?.[1] ?? Number.NaN);
        context?.reportError(new OperationTooComplexError(kind, maximum, found));
      },
    ],
  }) as ValidationRule;
}

function rootFieldsRule(maximum: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const count = (selectionSet: SelectionSetNode, seen: Set<string>): number => {
      let fields = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) fields += selection.name.value === "__typename" ? 0 : 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) fields += count(selection.selectionSet, seen);
        else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment = context.getFragment(selection.name.value);
          if (fragment) fields += count(fragment.selectionSet, seen);
        }
      }
      return fields;
    };
    return {
      OperationDefinition(operation) {
        const found = count(operation.selectionSet, new Set());
        if (found > maximum) context.reportError(new OperationTooComplexError("rootFields", maximum, found));
      },
    };
  };
}

/** Lexical tokens of a document, comments excluded: what graphql-js's `maxTokens` counts. */
function countTokens(source: string): number {
  const lexer = new Lexer(new Source(source));
  let found = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) found++;
  } catch {
    // A lexical error ends the count; what was counted is still more than the limit.
  }
  return found;
}

// graphql-js (16) aborts with "Document contains more that N tokens. Parsing aborted." (sic).
const tokenAbort = /^Syntax Error: Document contains more th(?:at|an) \d+ tokens\. Parsing aborted\.$/;

/** The validation rules (for ApolloServer's `validationRules`) and the plugin that checks cost and sets the code. */
export function operationLimits<TContext extends object>(
  options: OperationLimitsOptions,
): { validationRules: ValidationRule[]; parseOptions: { maxTokens: number }; plugin: ApolloServerPlugin<TContext> } {
  const hits = new Counter({
    name: "agora_gateway_operation_limit_hits_total",
    help: "Operations refused by an operation limit, by limit",
    labelNames: ["limit"],
    registers: [options.registry],
  });
  const validationRules = [
    armorRule("depth", options.maxDepth, maxDepthRule),
    armorRule("aliases", options.maxAliases, maxAliasesRule),
    armorRule("directives", options.maxDirectives, maxDirectivesRule),
    rootFieldsRule(options.maxRootFields),
  ];
  const listener: GraphQLRequestListener<TContext> = {
    async didResolveOperation(requestContext) {
      const found = options.cost(requestContext);
      if (found > options.maxCost) throw new OperationTooComplexError("cost", options.maxCost, found);
    },
    async didEncounterErrors({ errors, source }) {
      for (const error of errors) {
        if (source !== undefined && error.extensions.code === "GRAPHQL_PARSE_FAILED" && tokenAbort.test(error.message)) {
          const tooMany = new OperationTooComplexError("tokens", options.maxTokens, countTokens(source));
          hits.inc({ limit: "tokens" });
          error.message = tooMany.message;
          Object.assign(error.extensions, {
            code: ErrorCode.OPERATION_TOO_COMPLEX,
            limit: "tokens",
            maximum: tooMany.maximum,
            found: tooMany.found,
          });
          continue;
        }
        const refusal =
          error instanceof OperationTooComplexError
            ? error
            : error.originalError instanceof OperationTooComplexError
              ? error.originalError
              : null;
        if (!refusal) continue;
        hits.inc({ limit: refusal.limit });
        // Apollo wraps validation-rule errors as GRAPHQL_VALIDATION_FAILED; clients are promised the
        // more precise code (the wrapper keeps the rest of our extensions, status 400 included).
        error.extensions.code = ErrorCode.OPERATION_TOO_COMPLEX;
      }
    },
  };
  return { validationRules, parseOptions: { maxTokens: options.maxTokens }, plugin: { requestDidStart: async () => listener } };
}
