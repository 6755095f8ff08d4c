/** Entities other subgraphs own: reviews knows only their ids and returns them as stubs. */
export interface OfferRef {
  __typename?: "Offer";
  id: string;
}

export interface UserRef {
  __typename?: "User";
  id: string;
}
