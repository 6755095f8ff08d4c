/**
 * @apollo/gateway cannot execute subscriptions, so each subscription event is resolved as a query
 * through the gateway itself: the subscription's root field becomes the query field that reads the
 * same object, with the client's selection set, fragments, variables and alias kept:
 *
 *   subscription($id: ID!) { j: jobUpdated(id: $id) { status offer { title } } }
 *   query($id: ID!) { j: job(id: $id) { status offer { title } agoraLiveVersion: updatedAt } }
 *
 * (myJobUpdates and notifications read `job(id: $agoraLiveId)` / `notification(id: $agoraLiveId)`, the id taken from the event)
 *
 * so a payload can select federated fields and the jobs subgraph keeps deciding who sees what.
 */
import {
  Kind,
  print,
  OperationTypeNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

export type LiveFieldName = "jobUpdated" | "myJobUpdates" | "notifications";

/** The variable the rewritten query takes the object's id in. */
export const liveIdVariable = "agoraLiveId";
/** Hidden alias of `updatedAt` in job queries: the version the gateway orders and de-duplicates by. */
export const liveVersionAlias = "agoraLiveVersion";

export interface LiveOperation {
  field: LiveFieldName;
  /** The response key of the root field (its alias, or its name). */
  responseKey: string;
  /** jobUpdated's `id` argument, resolved from literals or variables. */
  jobId: string | null;
  /** The query to execute for each event; takes `agoraLiveId` besides the client's variables when `takesLiveId`. */
  query: DocumentNode;
  /** `query` printed once: Apollo caches parsed and validated documents by their text. */
  querySource: string;
  /** myJobUpdates and notifications: the event names the object; jobUpdated keeps its own `id` argument. */
  takesLiveId: boolean;
  /** Response keys of the root object's own fields that a job event's snapshot can fill in (key → Job field). */
  jobFields: Map<string, string>;
}

const queryFieldOf: Record<LiveFieldName, string> = { jobUpdated: "job", myJobUpdates: "job", notifications: "notification" };

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;

/** Collects `responseKey → field name` of the fields selected directly on the root object (through fragments). */
function directFields(
  selectionSet: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  into: Map<string, string>,
  seen = new Set<string>(),
) {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) into.set(selection.alias?.value ?? selection.name.value, selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) directFields(selection.selectionSet, fragments, into, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      directFields(fragments.get(selection.name.value)?.selectionSet, fragments, into, seen);
    }
  }
  return into;
}

function argumentValue(field: FieldNode, argument: string, variables: Record<string, unknown>): string | null {
  const node = field.arguments?.find((a) => a.name.value === argument)?.value;
  if (!node) return null;
  if (node.kind === Kind.STRING || node.kind === Kind.INT) return node.value;
  if (node.kind === Kind.VARIABLE) {
    const value = variables[node.name.value];
    return typeof value === "string" || typeof value === "number" ? String(value) : null;
  }
  return null;
}

/**
 * Rewrites a validated subscription document (one root field, by graphql's own rule). Throws a
 * plain Error with a client-facing message for shapes it cannot rewrite (a root fragment spread).
 */
export function rewriteSubscription(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): LiveOperation {
  const [root, ...rest] = operation.selectionSet.selections;
  if (!root || rest.length > 0 || root.kind !== Kind.FIELD) {
    throw new Error("Select the subscription field directly (not through a fragment), one per subscription.");
  }
  const field = root.name.value as LiveFieldName;
  if (!(field in queryFieldOf)) throw new Error(`Unknown subscription field ${root.name.value}.`);
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const isJob = field !== "notifications";
  const takesLiveId = field !== "jobUpdated";
  const selections = [...(root.selectionSet?.selections ?? [])];
  if (isJob) selections.push({ kind: Kind.FIELD, alias: name(liveVersionAlias), name: name("updatedAt") });
  const queryField: FieldNode = {
    kind: Kind.FIELD,
    alias: name(root.alias?.value ?? root.name.value),
    name: name(queryFieldOf[field]),
    arguments: takesLiveId
      ? [{ kind: Kind.ARGUMENT, name: name("id"), value: { kind: Kind.VARIABLE, name: name(liveIdVariable) } }]
      : (root.arguments ?? []),
    directives: root.directives ?? [],
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    ...(operation.name ? { name: operation.name } : {}),
    variableDefinitions: [
      ...(operation.variableDefinitions ?? []),
      ...(takesLiveId
        ? [
            {
              kind: Kind.VARIABLE_DEFINITION,
              variable: { kind: Kind.VARIABLE, name: name(liveIdVariable) },
              type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name("ID") } },
            } as const,
          ]
        : []),
    ],
    directives: operation.directives ?? [],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [queryField] },
  };
  const queryDocument: DocumentNode = { kind: Kind.DOCUMENT, definitions: [query, ...fragments.values()] };
  return {
    field,
    responseKey: root.alias?.value ?? root.name.value,
    jobId: field === "jobUpdated" ? argumentValue(root, "id", variables) : null,
    takesLiveId,
    query: queryDocument,
    querySource: print(queryDocument),
    jobFields: isJob ? directFields(root.selectionSet, fragments, new Map()) : new Map(),
  };
}
