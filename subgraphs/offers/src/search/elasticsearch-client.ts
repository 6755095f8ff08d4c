/** The Elasticsearch client as the offers service and the search indexer configure it. */
import { Client } from "@elastic/elasticsearch";

export interface ElasticsearchClientOptions {
  url: string;
  apiKey?: string | undefined;
  /** @defaultValue 5000 */
  requestTimeoutMs?: number;
}

export function createElasticsearchClient(options: ElasticsearchClientOptions): Client {
  return new Client({
    node: options.url,
    ...(options.apiKey ? { auth: { apiKey: options.apiKey } } : {}),
    requestTimeout: options.requestTimeoutMs ?? 5000,
    maxRetries: 2,
  });
}

/** Where offers are indexed: a client and the alias searches and writes go through. */
export interface ElasticsearchTarget {
  client: Client;
  /** The alias; the index behind it is `<alias>-v<timestamp>`. @defaultValue "agora-offers" (ELASTICSEARCH_INDEX) */
  index: string;
}
