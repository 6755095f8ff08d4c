/**
 * The estimated cost of an operation: roughly the number of objects it can make the subgraphs
 * produce. Operation limits refuse operations above a maximum; the rate limiter charges it against
 * the caller's budget, so one huge query is not "one request".
 *
 *   cost(field) = listSize(field) × (weight(field) + cost(its selections))
 *
 * - weight: 1 for a field returning an object, 0 for scalars and enums (they come with their
 *   object), `mutationWeight` for each root mutation field (every aliased mutation counts).
 * - listSize: the field's `first` or `last` argument (variables resolved), so `first: 99999999`
 *   nested in lists multiplies through; a paginated field without one counts as `defaultListSize`
 *   (the subgraphs' default page); any other field counts once.
 *
 * Computed with graphql-query-complexity on the validated document with the request's variables,
 * once per request: plugins/index.ts gives one estimator to both plugins, the first to ask computes it.
 */
import {
  getNamedType,
  getVariableValues,
  isCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type DocumentNode,
} from "graphql";
import { getComplexity, type ComplexityEstimator } from "graphql-query-complexity";

export interface OperationCostOptions {
  /**
   * Items assumed for a paginated field (one with a `first` argument) called without `first`/`last`.
   * @defaultValue 20 (the platform's default page size)
   */
  defaultListSize?: number;
  /**
   * Weight of each root mutation field: a write costs more than reading one object.
   * @defaultValue 10
   */
  mutationWeight?: number;
}

export interface CostedRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  /** Unset when the document has no operation of the requested name (Apollo refuses it later). */
  operation?: OperationDefinitionNode | undefined;
  request: { variables?: Record<string, unknown> };
}

function listSize(args: Record<string, unknown>, paginated: boolean, defaultListSize: number): number {
  for (const name of ["first", "last"]) {
    const value = args[name];
    if (typeof value === "number" && Number.isFinite(value)) return Math.max(0, value);
  }
  return paginated ? defaultListSize : 1;
}

export function createCostEstimator(options: OperationCostOptions = {}): (request: CostedRequest) => number {
  const defaultListSize = options.defaultListSize ?? 20;
  const mutationWeight = options.mutationWeight ?? 10;
  // Keyed by Apollo's request context: one computation per request, however many plugins ask.
  const costs = new WeakMap<object, number>();
  return (request) => {
    const known = costs.get(request);
    if (known !== undefined) return known;
    const mutationType = request.schema.getMutationType();
    const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
      const paginated = field.args.some((arg) => arg.name === "first");
      const weight = mutationType && type === mutationType ? mutationWeight : isCompositeType(getNamedType(field.type)) ? 1 : 0;
      return listSize(args, paginated, defaultListSize) * (weight + childComplexity);
    };
    let cost: number;
    const variables = request.operation
      ? getVariableValues(request.schema, request.operation.variableDefinitions ?? [], request.request.variables ?? {})
      : { errors: [] };
    if (!request.operation || variables.errors?.length) {
      // Unknown operation or variables that do not fit: Apollo refuses it with the precise error
      // before anything runs, so no cost can be known and none is claimed (NaN passes every limit).
      costs.set(request, Number.NaN);
      return Number.NaN;
    }
    try {
      cost = getComplexity({
        schema: request.schema,
        query: request.document,
        operationName: request.operation?.name?.value,
        variables: request.request.variables ?? {},
        estimators: [estimator],
      });
    } catch {
      // graphql-query-complexity gives up on documents with more than 10,000 nodes: too costly by definition.
      cost = Number.POSITIVE_INFINITY;
    }
    costs.set(request, cost);
    return cost;
  };
}
