import * as E from "fp-ts/Either";

import { decodeConfig } from "./config";
import { decodeEventHubsConnection, decodeStorageConnection } from "./connectionSettings";

/** Values that must never appear in a message: an account key and a client id. */
const ACCOUNT_KEY = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVl";
const CONNECTION_STRING = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`;
const CLIENT_ID = "11111111-2222-3333-4444-555555555555";
const HUB_KEY = "aHViLXNoYXJlZC1hY2Nlc3Mta2V5";
const HUB_CONNECTION = `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=${HUB_KEY}`;
const SECRETS = [ACCOUNT_KEY, CLIENT_ID, HUB_KEY, "not-a-uri-value", "Bad_Account_Name", "sometimes"];

describe("AzureWebJobsStorage: the forms the Functions host accepts", () => {
  it.each([
    [
      "a connection string",
      { AzureWebJobsStorage: CONNECTION_STRING },
      { kind: "connectionString", connectionString: CONNECTION_STRING },
    ],
    [
      "a connection string, which wins over identity settings beside it",
      { AzureWebJobsStorage: CONNECTION_STRING, AzureWebJobsStorage__accountName: "other" },
      { kind: "connectionString", connectionString: CONNECTION_STRING },
    ],
    [
      "an account name (system-assigned identity through the default chain)",
      { AzureWebJobsStorage__accountName: "dispatcherprod" },
      {
        kind: "identity",
        tableUri: "https://dispatcherprod.table.core.windows.net",
        blobUri: "https://dispatcherprod.blob.core.windows.net",
        queueUri: "https://dispatcherprod.queue.core.windows.net",
        credential: { kind: "default" },
      },
    ],
    [
      "an account name with a user-assigned managed identity",
      {
        AzureWebJobsStorage: "",
        AzureWebJobsStorage__accountName: "dispatcherprod",
        AzureWebJobsStorage__credential: "managedidentity",
        AzureWebJobsStorage__clientId: CLIENT_ID,
      },
      {
        kind: "identity",
        tableUri: "https://dispatcherprod.table.core.windows.net",
        blobUri: "https://dispatcherprod.blob.core.windows.net",
        queueUri: "https://dispatcherprod.queue.core.windows.net",
        credential: { kind: "managedIdentity", clientId: CLIENT_ID },
      },
    ],
    [
      "service URIs with the system-assigned managed identity",
      {
        AzureWebJobsStorage__tableServiceUri: "https://acct.table.core.windows.net/",
        AzureWebJobsStorage__blobServiceUri: "https://acct.blob.core.windows.net",
        AzureWebJobsStorage__queueServiceUri: "https://acct.queue.core.windows.net",
        AzureWebJobsStorage__credential: "ManagedIdentity",
      },
      {
        kind: "identity",
        tableUri: "https://acct.table.core.windows.net",
        blobUri: "https://acct.blob.core.windows.net",
        queueUri: "https://acct.queue.core.windows.net",
        credential: { kind: "managedIdentity" },
      },
    ],
    [
      "a table service URI alone (the app needs no more; the host needs blob and queue)",
      { AzureWebJobsStorage__tableServiceUri: "https://acct.table.core.windows.net" },
      { kind: "identity", tableUri: "https://acct.table.core.windows.net", credential: { kind: "default" } },
    ],
    [
      "a table service URI that overrides the one derived from the account name",
      {
        AzureWebJobsStorage__accountName: "acct",
        AzureWebJobsStorage__tableServiceUri: "https://acct.privatelink.table.core.windows.net",
      },
      {
        kind: "identity",
        tableUri: "https://acct.privatelink.table.core.windows.net",
        blobUri: "https://acct.blob.core.windows.net",
        queueUri: "https://acct.queue.core.windows.net",
        credential: { kind: "default" },
      },
    ],
  ])("decodes %s", (_what, env, expected) => {
    expect(decodeStorageConnection(env)).toEqual(E.right(expected));
  });

  it.each([
    [
      "nothing",
      {},
      [
        "AzureWebJobsStorage is missing: expected a connection string, or AzureWebJobsStorage__accountName, or AzureWebJobsStorage__tableServiceUri",
      ],
    ],
    [
      "only a credential and a client id",
      { AzureWebJobsStorage__credential: "managedidentity", AzureWebJobsStorage__clientId: CLIENT_ID },
      [expect.stringMatching(/^AzureWebJobsStorage is missing: /)],
    ],
    [
      "blob and queue URIs without the table URI",
      {
        AzureWebJobsStorage__blobServiceUri: "https://acct.blob.core.windows.net",
        AzureWebJobsStorage__queueServiceUri: "https://acct.queue.core.windows.net",
      },
      [expect.stringMatching(/^AzureWebJobsStorage__tableServiceUri is missing: the app's tables need it/)],
    ],
    [
      "a client id without credential=managedidentity",
      { AzureWebJobsStorage__accountName: "acct", AzureWebJobsStorage__clientId: CLIENT_ID },
      [
        "AzureWebJobsStorage__clientId is set without AzureWebJobsStorage__credential: expected managedidentity beside it",
      ],
    ],
    [
      "an unknown credential",
      { AzureWebJobsStorage__accountName: "acct", AzureWebJobsStorage__credential: "sometimes" },
      ["AzureWebJobsStorage__credential is invalid: expected managedidentity (or unset)"],
    ],
    [
      "a malformed account name and service URI together",
      {
        AzureWebJobsStorage__accountName: "Bad_Account_Name",
        AzureWebJobsStorage__tableServiceUri: "not-a-uri-value",
      },
      [
        "AzureWebJobsStorage__accountName is invalid: expected 3-24 lowercase letters and digits",
        "AzureWebJobsStorage__tableServiceUri is invalid: expected an https:// service URI",
      ],
    ],
  ])("refuses %s, naming the settings and no value", (_what, env, messages) => {
    const decoded = decodeStorageConnection(env);
    expect(decoded).toEqual(E.left(messages));
    for (const secret of SECRETS) expect(JSON.stringify(decoded)).not.toContain(secret);
  });
});

describe("EVENTHUB_CONNECTION: connection string or namespace with an identity", () => {
  it.each([
    [
      "a connection string",
      { EVENTHUB_CONNECTION: HUB_CONNECTION },
      { kind: "connectionString", connectionString: expect.any(Function) },
    ],
    ["neither form (only the host's trigger reads it)", {}, { kind: "notSet" }],
    [
      "a namespace (the default chain)",
      { EVENTHUB_CONNECTION__fullyQualifiedNamespace: "ns.servicebus.windows.net" },
      {
        kind: "identity",
        fullyQualifiedNamespace: "ns.servicebus.windows.net",
        credential: { kind: "default" },
      },
    ],
    [
      "a namespace with a user-assigned managed identity",
      {
        EVENTHUB_CONNECTION__fullyQualifiedNamespace: "ns.servicebus.windows.net",
        EVENTHUB_CONNECTION__credential: "managedidentity",
        EVENTHUB_CONNECTION__clientId: CLIENT_ID,
      },
      {
        kind: "identity",
        fullyQualifiedNamespace: "ns.servicebus.windows.net",
        credential: { kind: "managedIdentity", clientId: CLIENT_ID },
      },
    ],
  ])("decodes %s", (_what, env, expected) => {
    expect(decodeEventHubsConnection(env)).toEqual(E.right(expected));
  });

  it("keeps the connection string (and its key) out of the decoded form", () => {
    expect(JSON.stringify(decodeEventHubsConnection({ EVENTHUB_CONNECTION: HUB_CONNECTION }))).not.toContain(
      HUB_KEY,
    );
  });

  it.each([
    [
      "a client id without the namespace",
      { EVENTHUB_CONNECTION__credential: "managedidentity", EVENTHUB_CONNECTION__clientId: CLIENT_ID },
      [
        "EVENTHUB_CONNECTION__fullyQualifiedNamespace is missing: EVENTHUB_CONNECTION__credential and EVENTHUB_CONNECTION__clientId need it (or set EVENTHUB_CONNECTION)",
      ],
    ],
    [
      "a namespace given as a URL",
      { EVENTHUB_CONNECTION__fullyQualifiedNamespace: "sb://ns.servicebus.windows.net/" },
      [
        "EVENTHUB_CONNECTION__fullyQualifiedNamespace is invalid: expected a host name such as <namespace>.servicebus.windows.net",
      ],
    ],
    [
      "a client id without credential=managedidentity",
      {
        EVENTHUB_CONNECTION__fullyQualifiedNamespace: "ns.servicebus.windows.net",
        EVENTHUB_CONNECTION__clientId: CLIENT_ID,
      },
      [
        "EVENTHUB_CONNECTION__clientId is set without EVENTHUB_CONNECTION__credential: expected managedidentity beside it",
      ],
    ],
  ])("refuses %s, naming the settings and no value", (_what, env, messages) => {
    const decoded = decodeEventHubsConnection(env);
    expect(decoded).toEqual(E.left(messages));
    for (const secret of SECRETS) expect(JSON.stringify(decoded)).not.toContain(secret);
  });
});

describe("config: the connections beside the other settings", () => {
  const keys = { SECRETS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}` };

  it("says which form it found for each connection", () => {
    const decoded = decodeConfig({
      ...keys,
      AzureWebJobsStorage__accountName: "acct",
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: CLIENT_ID,
      EVENTHUB_CONNECTION__fullyQualifiedNamespace: "ns.servicebus.windows.net",
    });
    expect(E.isRight(decoded) && decoded.right.storage.kind).toBe("identity");
    expect(E.isRight(decoded) && decoded.right.eventHubs.kind).toBe("identity");
  });

  it("reports connection problems with every other bad setting, and no value", () => {
    const decoded = decodeConfig({
      ...keys,
      AzureWebJobsStorage__queueServiceUri: "https://acct.queue.core.windows.net",
      AzureWebJobsStorage__credential: "sometimes",
      EVENTHUB_CONNECTION__clientId: CLIENT_ID,
      DELIVERY_CHUNK_SIZE: "lots",
    });
    expect(E.isLeft(decoded) && decoded.left.settings.map((s) => s.split(" ")[0])).toEqual([
      "AzureWebJobsStorage__tableServiceUri",
      "AzureWebJobsStorage__credential",
      "DELIVERY_CHUNK_SIZE",
      "EVENTHUB_CONNECTION__fullyQualifiedNamespace",
    ]);
    for (const secret of [...SECRETS, "lots"])
      expect(E.isLeft(decoded) && decoded.left.message).not.toContain(secret);
  });
});
