import { TableClient, type TableServiceClientOptions } from "@azure/data-tables";
import type { TokenCredential } from "@azure/identity";

import type { StorageConnection } from "../../connectionSettings";
import { azureCredential, type CredentialFactory } from "../azureCredential";

/**
 * TableClients for either form of AzureWebJobsStorage: a connection string (shared key, Azurite locally), or a
 * table service URI with a token credential from @azure/identity (the TableClient asks it for
 * `https://storage.azure.com/.default`). The identity needs "Storage Table Data Contributor" on the account.
 */
export interface TableClientOptions {
  readonly maxRetries?: number;
  /** The SDK's transport seam; tests record requests with it instead of reaching a network. */
  readonly httpClient?: TableServiceClientOptions["httpClient"];
}

const isPlainHttp = (url: string): boolean => url.toLowerCase().startsWith("http://");

/** Builds the TableClients of one storage connection, sharing one token credential (and its token cache). */
export const makeTableClientFactory = (
  storage: StorageConnection,
  credentialFor: CredentialFactory = azureCredential,
): ((table: string, options?: TableClientOptions) => TableClient) => {
  const sdkOptions = (options: TableClientOptions, allowInsecureConnection: boolean) => ({
    allowInsecureConnection,
    ...(options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } }),
    ...(options.httpClient === undefined ? {} : { httpClient: options.httpClient }),
  });
  switch (storage.kind) {
    case "connectionString": {
      const insecure = /UseDevelopmentStorage=true|=http:\/\//i.test(storage.connectionString);
      return (table, options = {}) =>
        TableClient.fromConnectionString(storage.connectionString, table, sdkOptions(options, insecure));
    }
    case "identity": {
      let credential: TokenCredential | undefined;
      return (table, options = {}) =>
        new TableClient(
          storage.tableUri,
          table,
          (credential ??= credentialFor(storage.credential)),
          // Bearer tokens are refused over plain http by the SDK; allowing it here only lets that error surface.
          sdkOptions(options, isPlainHttp(storage.tableUri)),
        );
    }
    default: {
      const unknown: never = storage;
      throw new Error(`unknown storage connection ${JSON.stringify(unknown)}`);
    }
  }
};
