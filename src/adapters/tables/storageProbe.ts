import { RestError, type TableClient } from "@azure/data-tables";

/** Why storage could not be read, as a kind (never a message: those carry host names and URLs). */
export type StorageProbeError =
  "timeout" | "connection-refused" | "connection-reset" | "dns" | "network" | `http-${number}`;

export type StorageCheck =
  { readonly kind: "ok" } | { readonly kind: "unreachable"; readonly error: StorageProbeError };

/** One bounded read of storage; never throws. */
export type StorageProbe = () => Promise<StorageCheck>;

const BY_CODE: Readonly<Record<string, StorageProbeError>> = {
  ECONNREFUSED: "connection-refused",
  ECONNRESET: "connection-reset",
  EPIPE: "connection-reset",
  ETIMEDOUT: "timeout",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
};

export const storageProbeError = (error: unknown): StorageProbeError => {
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
    return "timeout";
  if (error instanceof RestError) {
    if (error.statusCode !== undefined) return `http-${error.statusCode}`;
    return BY_CODE[error.code ?? ""] ?? "network";
  }
  return "network";
};

/**
 * Reads one row that does not exist (a point query on the partition key `health`): any answer of the service
 * ("not found" included, for the row or the table) means storage is reachable. `client` should be built
 * without retries, so the probe is one request bounded by `timeoutMs`.
 */
export const makeTableStorageProbe =
  (client: TableClient, timeoutMs: number): StorageProbe =>
  async () => {
    try {
      await client.getEntity("health", "probe", { abortSignal: AbortSignal.timeout(timeoutMs) });
      return { kind: "ok" };
    } catch (error) {
      const kind = storageProbeError(error);
      return kind === "http-404" ? { kind: "ok" } : { kind: "unreachable", error: kind };
    }
  };
