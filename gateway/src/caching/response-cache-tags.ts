/**
 * What a cached response depends on, read from the response itself: the tags its entry is filed
 * under, so a write that names one of them (`@agora/platform`'s cache-invalidation) retires it.
 *
 * Walks the operation's selections over the result with the API schema beside it, so clients need
 * not select `__typename`:
 *   - every object of a type with an `id` field is `<Type>:<id>` when the query selected its id,
 *     and `<Type>` (any write of that type retires the entry) when it did not;
 *   - every root field is `Query.<field>` (writers name the lists whose members change:
 *     `Query.offers`, `Query.searchOffers`);
 *   - a root field asked for by `id` (`offer(id:)`, `user(id:)`, `review(id:)`) is also
 *     `<Type>:<id>`, so a `null` answer (not found, or a draft you may not see) is retired when
 *     that object is written.
 * Interfaces and unions are resolved by `__typename` when selected, else every possible type's tag.
 */
import {
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

type Fragments = Record<string, FragmentDefinitionNode>;
type Json = Record<string, unknown>;

function argumentValue(value: ValueNode, variables: Json): unknown {
  if (value.kind === Kind.VARIABLE) return variables[value.name.value];
  if (value.kind === Kind.STRING || value.kind === Kind.INT) return value.value;
  return undefined;
}

/** The response key of the `id` field in a selection set (through fragments), if selected. */
function idKeyOf(selectionSet: SelectionSetNode, fragments: Fragments, seen = new Set<string>()): string | null {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === "id") return selection.alias?.value ?? "id";
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const key = idKeyOf(selection.selectionSet, fragments, seen);
      if (key) return key;
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments[selection.name.value];
      const key = fragment ? idKeyOf(fragment.selectionSet, fragments, seen) : null;
      if (key) return key;
    }
  }
  return null;
}

export function collectResponseTags(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  data: Json,
  variables: Json = {},
): string[] {
  const tags = new Set<string>();
  const root = schema.getQueryType();
  if (!root) return [];

  const visitValue = (value: unknown, type: GraphQLCompositeType, selectionSet: SelectionSetNode): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const item of value) visitValue(item, type, selectionSet);
      return;
    }
    if (typeof value !== "object") return;
    const object = value as Json;
    let runtime: GraphQLObjectType | undefined;
    if (isObjectType(type)) runtime = type;
    else if (isAbstractType(type)) {
      const named = typeof object.__typename === "string" ? schema.getType(object.__typename) : undefined;
      if (isObjectType(named)) runtime = named;
      else {
        for (const possible of schema.getPossibleTypes(type)) tags.add(possible.name);
        return;
      }
    }
    if (!runtime) return;
    if (runtime.getFields().id) {
      const idKey = idKeyOf(selectionSet, fragments);
      const id = idKey ? object[idKey] : undefined;
      tags.add(typeof id === "string" || typeof id === "number" ? `${runtime.name}:${id}` : runtime.name);
    }
    visitSelections(object, runtime, selectionSet, new Set());
  };

  const visitSelections = (object: Json, type: GraphQLObjectType, selectionSet: SelectionSetNode, seenFragments: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = type.getFields()[selection.name.value];
        if (!field || !selection.selectionSet) continue;
        const named = getNamedType(field.type);
        if (isObjectType(named) || isAbstractType(named))
          visitValue(object[selection.alias?.value ?? selection.name.value], named, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        if (!condition || condition === type.name || isAbstractType(schema.getType(condition)))
          visitSelections(object, type, selection.selectionSet, seenFragments);
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment || seenFragments.has(fragment.name.value)) continue;
        const condition = fragment.typeCondition.name.value;
        if (condition !== type.name && !isAbstractType(schema.getType(condition))) continue;
        visitSelections(object, type, fragment.selectionSet, new Set([...seenFragments, fragment.name.value]));
      }
    }
  };

  // Root fields: their list tag, and the entity they were asked for by id.
  const rootFields = (selectionSet: SelectionSetNode, seen: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) rootFields(selection.selectionSet, seen);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (fragment && !seen.has(fragment.name.value)) rootFields(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      } else if (!selection.name.value.startsWith("__")) {
        tags.add(`Query.${selection.name.value}`);
        const field = root.getFields()[selection.name.value];
        const idArgument = selection.arguments?.find((argument) => argument.name.value === "id");
        const named = field ? getNamedType(field.type) : undefined;
        const id = idArgument ? argumentValue(idArgument.value, variables) : undefined;
        if (isObjectType(named) && typeof id === "string") tags.add(`${named.name}:${id}`);
      }
    }
  };
  rootFields(operation.selectionSet, new Set());
  visitSelections(data, root, operation.selectionSet, new Set());
  return [...tags];
}
