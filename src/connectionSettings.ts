import * as E from "fp-ts/Either";

/**
 * The two connections the app's settings name, in either form the Functions host accepts: a connection string in
 * the setting itself, or identity settings `<NAME>__...` (https://learn.microsoft.com/azure/azure-functions/
 * functions-reference#connecting-to-host-storage-with-an-identity). Pure: env in, a tagged form or the problems
 * out. Problems name settings and say what is wrong, never a value (connection strings hold account keys).
 */

type Env = Readonly<Record<string, string | undefined>>;

/** How a token is obtained: the host's `__credential=managedidentity` (with `__clientId` for a user-assigned one). */
export type IdentityCredential =
  | { readonly kind: "managedIdentity"; readonly clientId?: string }
  /** `__credential` unset: Azure's default chain (the managed identity in Azure, a developer's login locally). */
  | { readonly kind: "default" };

export type StorageConnection =
  | { readonly kind: "connectionString"; readonly connectionString: string }
  | {
      readonly kind: "identity";
      /** What the app's TableClients use. */
      readonly tableUri: string;
      /** Only the Functions host uses these (its leases, Durable queues); kept to say which form was found. */
      readonly blobUri?: string;
      readonly queueUri?: string;
      readonly credential: IdentityCredential;
    };

export type EventHubsConnection =
  /**
   * The replay reader connects with it too (src/adapters/hub). A function, so the decoded form never serialises
   * the string (and its key) into a log or a message.
   */
  | { readonly kind: "connectionString"; readonly connectionString: () => string }
  | {
      readonly kind: "identity";
      readonly fullyQualifiedNamespace: string;
      readonly credential: IdentityCredential;
    }
  /** Neither form: only the trigger uses the connection and the host refuses to start it, naming the setting. */
  | { readonly kind: "notSet" };

export const STORAGE_SETTING = "AzureWebJobsStorage";
export const EVENTHUB_SETTING = "EVENTHUB_CONNECTION";

const valueOf = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
};

/** `<name>__credential` and `<name>__clientId`. */
const credentialOf = (env: Env, name: string): E.Either<ReadonlyArray<string>, IdentityCredential> => {
  const credential = valueOf(env, `${name}__credential`);
  const clientId = valueOf(env, `${name}__clientId`);
  if (credential === undefined)
    return clientId === undefined
      ? E.right({ kind: "default" })
      : E.left([`${name}__clientId is set without ${name}__credential: expected managedidentity beside it`]);
  if (credential.toLowerCase() !== "managedidentity")
    return E.left([`${name}__credential is invalid: expected managedidentity (or unset)`]);
  return E.right(
    clientId === undefined ? { kind: "managedIdentity" } : { kind: "managedIdentity", clientId },
  );
};

/** Storage account names: 3-24 lowercase letters and digits. */
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

const serviceUri = (env: Env, setting: string): E.Either<string, string | undefined> => {
  const value = valueOf(env, setting);
  if (value === undefined) return E.right(undefined);
  const url = URL.canParse(value) ? new URL(value) : undefined;
  return url !== undefined && (url.protocol === "https:" || url.protocol === "http:")
    ? E.right(value.replace(/\/+$/, ""))
    : E.left(`${setting} is invalid: expected an https:// service URI`);
};

const problems = (...results: ReadonlyArray<E.Either<string, unknown>>): ReadonlyArray<string> =>
  results.flatMap((r) => (E.isLeft(r) ? [r.left] : []));

const storageUris = (
  env: Env,
): E.Either<ReadonlyArray<string>, { tableUri: string; blobUri?: string; queueUri?: string }> => {
  const name = STORAGE_SETTING;
  const accountName = valueOf(env, `${name}__accountName`);
  const table = serviceUri(env, `${name}__tableServiceUri`);
  const blob = serviceUri(env, `${name}__blobServiceUri`);
  const queue = serviceUri(env, `${name}__queueServiceUri`);
  const invalid = [
    ...(accountName === undefined || ACCOUNT_NAME.test(accountName)
      ? []
      : [`${name}__accountName is invalid: expected 3-24 lowercase letters and digits`]),
    ...problems(table, blob, queue),
  ];
  if (invalid.length > 0 || E.isLeft(table) || E.isLeft(blob) || E.isLeft(queue)) return E.left(invalid);
  // An explicit service URI wins over the one derived from the account name, as in the host.
  const derived = (service: string): string | undefined =>
    accountName === undefined ? undefined : `https://${accountName}.${service}.core.windows.net`;
  const tableUri = table.right ?? derived("table");
  const blobUri = blob.right ?? derived("blob");
  const queueUri = queue.right ?? derived("queue");
  if (tableUri === undefined)
    return E.left([
      blobUri === undefined && queueUri === undefined
        ? `${name} is missing: expected a connection string, or ${name}__accountName, or ${name}__tableServiceUri`
        : `${name}__tableServiceUri is missing: the app's tables need it beside the blob and queue URIs (or set ${name}__accountName)`,
    ]);
  return E.right({
    tableUri,
    ...(blobUri === undefined ? {} : { blobUri }),
    ...(queueUri === undefined ? {} : { queueUri }),
  });
};

/** `AzureWebJobsStorage`: the connection string wins when set (as in the host); else the identity settings. */
export const decodeStorageConnection = (env: Env): E.Either<ReadonlyArray<string>, StorageConnection> => {
  const connectionString = valueOf(env, STORAGE_SETTING);
  if (connectionString !== undefined) return E.right({ kind: "connectionString", connectionString });
  const uris = storageUris(env);
  const credential = credentialOf(env, STORAGE_SETTING);
  if (E.isLeft(uris) || E.isLeft(credential))
    return E.left([...(E.isLeft(uris) ? uris.left : []), ...(E.isLeft(credential) ? credential.left : [])]);
  return E.right({ kind: "identity", ...uris.right, credential: credential.right });
};

/** Namespaces as the SDK takes them: a host name, optionally with a port (no scheme, no path). */
const NAMESPACE = /^[A-Za-z0-9.-]+(:\d+)?$/;

/** `EVENTHUB_CONNECTION`: a connection string, or `__fullyQualifiedNamespace` (+ `__credential`, `__clientId`). */
export const decodeEventHubsConnection = (env: Env): E.Either<ReadonlyArray<string>, EventHubsConnection> => {
  const name = EVENTHUB_SETTING;
  const connectionString = valueOf(env, name);
  if (connectionString !== undefined)
    return E.right({ kind: "connectionString", connectionString: () => connectionString });
  const namespace = valueOf(env, `${name}__fullyQualifiedNamespace`);
  const credential = credentialOf(env, name);
  const identityParts = [`${name}__credential`, `${name}__clientId`].filter(
    (s) => valueOf(env, s) !== undefined,
  );
  if (namespace === undefined)
    return identityParts.length === 0
      ? E.right({ kind: "notSet" })
      : E.left([
          `${name}__fullyQualifiedNamespace is missing: ${identityParts.join(" and ")} need it (or set ${name})`,
        ]);
  const invalid = NAMESPACE.test(namespace)
    ? []
    : [
        `${name}__fullyQualifiedNamespace is invalid: expected a host name such as <namespace>.servicebus.windows.net`,
      ];
  if (invalid.length > 0 || E.isLeft(credential))
    return E.left([...invalid, ...(E.isLeft(credential) ? credential.left : [])]);
  return E.right({ kind: "identity", fullyQualifiedNamespace: namespace, credential: credential.right });
};
