/**
 * Production: no "Did you mean …?" in any error. Apollo's `hideSchemaDetailsFromClientErrors`
 * strips suggestions from validation errors only; variables are coerced later (by the gateway's
 * executor), and their errors suggest field and enum names just the same, e.g.
 * `Field "categry" is not defined by type "OffersFilter". Did you mean "category"?`.
 */
import type { ApolloServerPlugin } from "@apollo/server";

const suggestion = / ?Did you mean .+?\?/g;

export function hideSuggestions(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) error.message = error.message.replace(suggestion, "");
        },
      };
    },
  };
}
