/**
 * Bounded operation-name labels. A client chooses its operation names, so an unbounded label
 * would let any caller (or a buggy client generating names) grow every service's /metrics without
 * limit. The first `maxOperationNames` distinct names keep their own series; later ones share
 * `other`; a request without a name (or one that never parsed) is `anonymous`.
 */

export interface OperationNameOptions {
  /**
   * Distinct operation names that get their own series in one process; the rest are `other`.
   * @defaultValue 200
   */
  maxOperationNames?: number;
}

export const anonymousOperation = "anonymous";
export const otherOperation = "other";

/** GraphQL names, short enough for a dashboard legend; anything else is not a name we keep. */
const graphqlName = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export interface OperationNames {
  /** The label value for this operation name. */
  label(name: string | null | undefined): string;
}

export function createOperationNames(options: OperationNameOptions = {}): OperationNames {
  const max = options.maxOperationNames ?? 200;
  const seen = new Set<string>();
  return {
    label(name) {
      if (!name) return anonymousOperation;
      if (seen.has(name)) return name;
      if (!graphqlName.test(name) || seen.size >= max) return otherOperation;
      seen.add(name);
      return name;
    },
  };
}
