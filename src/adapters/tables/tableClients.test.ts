import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

import type { IdentityCredential, StorageConnection } from "../../connectionSettings";
import { freshTableName, testStorageConnection } from "../../test-support/storage";
import { makeTableClientFactory, type TableClientOptions } from "./tableClients";

type HttpClient = NonNullable<TableClientOptions["httpClient"]>;
type SentRequest = Parameters<HttpClient["sendRequest"]>[0];
type Response = Awaited<ReturnType<HttpClient["sendRequest"]>>;

/** A credential that hands out a fixed token and records what it was asked for; it never reaches Azure. */
const stubCredential = () => {
  const scopes: Array<string | string[]> = [];
  const credential: TokenCredential = {
    getToken: (requested: string | string[], _options?: GetTokenOptions): Promise<AccessToken> => {
      scopes.push(requested);
      return Promise.resolve({ token: "stub-token", expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
  return { credential, scopes };
};

/** The SDK's transport replaced by a recorder that answers one entity, so no request leaves the process. */
const recordingTransport = () => {
  const sent: Array<{ url: string; authorization: string | undefined }> = [];
  const httpClient: HttpClient = {
    sendRequest: (request: SentRequest): Promise<Response> => {
      sent.push({ url: request.url, authorization: request.headers.get("authorization") });
      const headers = new Map([["content-type", "application/json;odata=minimalmetadata"]]);
      return Promise.resolve({
        request,
        status: 200,
        headers: {
          get: (name: string) => headers.get(name.toLowerCase()),
          has: (name: string) => headers.has(name.toLowerCase()),
          set: (name: string, value: string | number | boolean) =>
            void headers.set(name.toLowerCase(), String(value)),
          delete: (name: string) => void headers.delete(name.toLowerCase()),
          toJSON: () => Object.fromEntries(headers),
          [Symbol.iterator]: () => headers.entries(),
        },
        bodyAsText: JSON.stringify({ PartitionKey: "p", RowKey: "r", value: "v" }),
      });
    },
  };
  return { httpClient, sent };
};

const identity = (
  tableUri: string,
  credential: IdentityCredential = { kind: "default" },
): StorageConnection => ({
  kind: "identity",
  tableUri,
  credential,
});

const azuriteTableUri = (): string => {
  const match = /TableEndpoint=(http:\/\/127\.0\.0\.1:\d+\/[^;]+)/.exec(testStorageConnection());
  if (match?.[1] === undefined) throw new Error("the test storage connection has no TableEndpoint");
  return match[1];
};

describe("TableClients for an identity-based AzureWebJobsStorage", () => {
  it("asks the token credential for the storage scope and sends its token as a bearer", async () => {
    const { credential, scopes } = stubCredential();
    const { httpClient, sent } = recordingTransport();
    const table = makeTableClientFactory(
      identity("https://acct.table.core.windows.net", { kind: "managedIdentity", clientId: "c" }),
      () => credential,
    );

    const entity = await table("Webhooks", { httpClient }).getEntity<{ value: string }>("p", "r");

    expect(entity.value).toBe("v");
    expect(scopes).toEqual([["https://storage.azure.com/.default"]]);
    expect(sent).toEqual([
      {
        url: expect.stringMatching(/^https:\/\/acct\.table\.core\.windows\.net\/Webhooks\(/),
        authorization: "Bearer stub-token",
      },
    ]);
  });

  it("builds one credential per connection, shared by its tables", () => {
    const asked: IdentityCredential[] = [];
    const table = makeTableClientFactory(identity("https://acct.table.core.windows.net"), (c) => {
      asked.push(c);
      return stubCredential().credential;
    });
    table("Webhooks");
    table("DeadLetters", { maxRetries: 0 });
    expect(asked).toEqual([{ kind: "default" }]);
  });

  it("never sends a token to Azurite's plain-http table endpoint: the SDK refuses before asking for one", async () => {
    const { credential, scopes } = stubCredential();
    const table = makeTableClientFactory(identity(azuriteTableUri()), () => credential);
    await expect(table(freshTableName("Identity"), { maxRetries: 0 }).createTable()).rejects.toThrow(
      /Bearer token authentication is not permitted for non-TLS/,
    );
    expect(scopes).toEqual([]);
  });
});

describe("TableClients for a connection string", () => {
  it("talks to Azurite with the account key and never builds a token credential", async () => {
    const table = makeTableClientFactory(
      { kind: "connectionString", connectionString: testStorageConnection() },
      () => {
        throw new Error("no credential for a connection string");
      },
    );
    const client = table(freshTableName("ConnStr"));
    await client.createTable();
    await client.upsertEntity({ partitionKey: "p", rowKey: "r", value: "v" });
    expect((await client.getEntity<{ value: string }>("p", "r")).value).toBe("v");
    await client.deleteTable();
  });
});
