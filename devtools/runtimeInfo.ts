import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { decodeEventHubsConnection, type IdentityCredential } from "../src/connectionSettings";
import { CommandError } from "./cliArgs";

/**
 * Where the CLI finds the dispatcher: flags first, then the environment, then the runtime.json that
 * `npm start` writes into its data directory when ready. Secrets (the admin key, SharedAccessKey) never
 * appear in messages.
 */

/** The part of <dataDir>/runtime.json the CLI reads (written by the local host). */
export const RuntimeFile = t.type(
  { adminUrl: t.string, adminKey: t.string, eventHubConnectionString: t.string, eventHubName: t.string },
  "RuntimeFile",
);
export type RuntimeFile = t.TypeOf<typeof RuntimeFile>;

type Env = Readonly<Record<string, string | undefined>>;

export interface AdminTarget {
  /** Without a trailing slash, e.g. http://127.0.0.1:7071/api. */
  readonly url: string;
  readonly key: string;
}

interface EventHubAddress {
  readonly hubName: string;
  /** host[:port] of the namespace, for messages. */
  readonly endpoint: string;
  readonly host: string;
  /** From the Endpoint, else 5672 for a development emulator (plain AMQP), else 5671 (AMQP over TLS). */
  readonly port: number;
}

export type EventHubTarget = EventHubAddress &
  (
    | {
        readonly kind: "connectionString";
        /** The connection string without EntityPath: the hub goes separately, so the two cannot disagree. */
        readonly connectionString: string;
      }
    | {
        /** EVENTHUB_CONNECTION__fullyQualifiedNamespace, with a token credential (see src/adapters/azureCredential). */
        readonly kind: "identity";
        readonly fullyQualifiedNamespace: string;
        readonly credential: IdentityCredential;
      }
  );

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** $DATA_DIR/runtime.json, else ./.data/runtime.json (the default data directory of `npm start`). */
export const runtimeFilePath = (env: Env, cwd: string): string =>
  path.resolve(cwd, nonEmpty(env.DATA_DIR) ?? ".data", "runtime.json");

/** The runtime file if there is one; a file that is there but unreadable is an error (never echoed). */
export const readRuntimeFile = (env: Env, cwd: string): RuntimeFile | undefined => {
  const file = runtimeFilePath(env, cwd);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CommandError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const decoded = E.tryCatch(
    () => RuntimeFile.decode(JSON.parse(text)),
    () => undefined,
  );
  if (E.isLeft(decoded) || E.isLeft(decoded.right)) {
    throw new CommandError(`${file} is not a runtime file this CLI understands; restart \`npm start\``);
  }
  return decoded.right.right;
};

const nothingFound = (what: string, flags: string, envNames: string, env: Env, cwd: string): CommandError =>
  new CommandError(
    `No ${what} to talk to: is \`npm start\` running? When ready it writes ${runtimeFilePath(env, cwd)}` +
      ` (set DATA_DIR if it uses another data directory). Or pass ${flags}, or set ${envNames}.`,
  );

/** Origin and path only: a URL's query may carry a function key (?code=). */
export const displayUrl = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`.replace(/\/$/, "");
};

export const resolveAdminTarget = (
  flags: { url?: string; key?: string },
  env: Env,
  cwd: string,
): AdminTarget => {
  const explicitUrl = nonEmpty(flags.url) ?? nonEmpty(env.DISPATCHER_ADMIN_URL);
  const explicitKey = nonEmpty(flags.key) ?? nonEmpty(env.ADMIN_KEY);
  const file = explicitUrl === undefined || explicitKey === undefined ? readRuntimeFile(env, cwd) : undefined;
  const url = explicitUrl ?? file?.adminUrl;
  if (url === undefined) {
    throw nothingFound("admin API", "--admin-url and --key", "DISPATCHER_ADMIN_URL and ADMIN_KEY", env, cwd);
  }
  if (!/^https?:\/\/[^/]/i.test(url)) throw new CommandError("The admin URL must be an http(s) URL");
  const base = url.replace(/\/+$/, "");
  // Failure policy: the runtime file's key goes only to the runtime file's own URL, never to another server.
  const key =
    explicitKey ??
    (file !== undefined && file.adminUrl.replace(/\/+$/, "") === base ? file.adminKey : undefined);
  if (key === undefined) {
    throw new CommandError(`No admin key for ${displayUrl(base)}: pass --key or set ADMIN_KEY`);
  }
  return { url: base, key };
};

/** `Key=Value;...` parts of a connection string (values may contain "="; keys compared case-insensitively). */
const connectionParts = (connectionString: string): ReadonlyArray<readonly [string, string]> =>
  connectionString
    .split(";")
    .filter((part) => part.includes("="))
    .map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    });

const partOf = (connectionString: string, key: string): string | undefined =>
  connectionParts(connectionString).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

/** The identity form of EVENTHUB_CONNECTION, when the environment has it (its problems named, never a value). */
const identityTarget = (flags: { hub?: string }, env: Env): EventHubTarget | undefined => {
  const decoded = decodeEventHubsConnection(env);
  if (E.isLeft(decoded)) throw new CommandError(decoded.left.join("; "));
  if (decoded.right.kind !== "identity") return undefined;
  const { fullyQualifiedNamespace, credential } = decoded.right;
  const hubName = nonEmpty(flags.hub) ?? nonEmpty(env.EVENTHUB_NAME);
  if (hubName === undefined)
    throw new CommandError(
      "No Event Hub name: pass --hub or set EVENTHUB_NAME beside EVENTHUB_CONNECTION__fullyQualifiedNamespace",
    );
  const address = new URL(`sb://${fullyQualifiedNamespace}`);
  return {
    kind: "identity",
    fullyQualifiedNamespace,
    credential,
    hubName,
    endpoint: fullyQualifiedNamespace,
    host: address.hostname,
    port: address.port === "" ? 5671 : Number(address.port),
  };
};

export const resolveEventHubTarget = (
  flags: { connectionString?: string; hub?: string },
  env: Env,
  cwd: string,
): EventHubTarget => {
  const explicit = nonEmpty(flags.connectionString) ?? nonEmpty(env.EVENTHUB_CONNECTION);
  if (explicit === undefined) {
    const identity = identityTarget(flags, env);
    if (identity !== undefined) return identity;
  }
  const file = explicit === undefined ? readRuntimeFile(env, cwd) : undefined;
  const connectionString = explicit ?? file?.eventHubConnectionString;
  if (connectionString === undefined) {
    throw nothingFound(
      "Event Hub",
      "--connection-string (and --hub)",
      "EVENTHUB_CONNECTION (and EVENTHUB_NAME)",
      env,
      cwd,
    );
  }
  const endpoint = partOf(connectionString, "Endpoint");
  if (endpoint === undefined) {
    throw new CommandError("The Event Hubs connection string has no Endpoint=sb://...; check it");
  }
  const hubName =
    nonEmpty(flags.hub) ??
    nonEmpty(partOf(connectionString, "EntityPath")) ??
    nonEmpty(env.EVENTHUB_NAME) ??
    file?.eventHubName;
  if (hubName === undefined) {
    throw new CommandError(
      "No Event Hub name: pass --hub, set EVENTHUB_NAME, or add EntityPath= to the connection string",
    );
  }
  const withoutEntityPath = connectionParts(connectionString)
    .filter(([k]) => k.toLowerCase() !== "entitypath")
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
  const hostPort = endpoint.replace(/^sb:\/\//i, "").replace(/\/+$/, "");
  const address = new URL(`sb://${hostPort}`);
  const emulator = /^true$/i.test(partOf(connectionString, "UseDevelopmentEmulator") ?? "");
  return {
    kind: "connectionString",
    connectionString: withoutEntityPath,
    hubName,
    endpoint: hostPort,
    host: address.hostname.replace(/^\[|\]$/g, ""),
    port: address.port === "" ? (emulator ? 5672 : 5671) : Number(address.port),
  };
};

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/i;

/**
 * For a local endpoint, one TCP connect before the SDK starts: when nothing listens the SDK retries for a
 * minute, while "is `npm start` running?" is the answer the person needs now. Remote endpoints are left to the SDK.
 */
export const checkLocalEndpoint = async (host: string, port: number, what: string): Promise<void> => {
  if (!LOOPBACK.test(host)) return;
  const refused = await new Promise<string | undefined>((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve("timed out");
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  if (refused !== undefined) {
    throw new CommandError(
      `Cannot connect to ${what} at ${host}:${port} (${refused}): is \`npm start\` running?`,
    );
  }
};

/** Removes secrets from text that may reach the terminal (SDK errors quote connection strings). */
export const redactSecrets = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let result = text.replace(/(SharedAccessKey|SharedAccessSignature)=[^;"'\n]*/gi, "$1=***");
  for (const secret of secrets) if (secret.length >= 4) result = result.split(secret).join("***");
  return result;
};
