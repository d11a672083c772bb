import type { DeliveryErrorKind } from "../../domain/classification";

/** Raised through the request's AbortSignal when the whole attempt (connect, headers, body) overruns. */
export class AttemptTimeoutError extends Error {
  readonly code = "ERR_ATTEMPT_TIMEOUT";
  constructor(timeoutMs: number) {
    super(`delivery attempt exceeded ${timeoutMs} ms`);
    this.name = "AttemptTimeoutError";
  }
}

const BY_CODE: Readonly<Record<string, DeliveryErrorKind>> = {
  ERR_BLOCKED_TARGET: "blocked-target",
  ERR_ATTEMPT_TIMEOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "connect-timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  ETIMEDOUT: "timeout",
  ECONNREFUSED: "connection-refused",
  ECONNRESET: "connection-reset",
  EPIPE: "connection-reset",
  ECONNABORTED: "connection-reset",
  UND_ERR_SOCKET: "connection-reset",
  UND_ERR_CLOSED: "connection-reset",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  EAI_NONAME: "dns",
  EAI_NODATA: "dns",
  EHOSTUNREACH: "network",
  ENETUNREACH: "network",
};

const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

const codeOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
};

const causeOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "cause" in error ? error.cause : undefined;

/** The address policy's reason carried by a blocked-target error (code ERR_BLOCKED_TARGET), looking through `cause`. */
export const blockedReasonOf = (error: unknown): string | undefined => {
  let current = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (
      codeOf(current) === "ERR_BLOCKED_TARGET" &&
      typeof current === "object" &&
      current !== null &&
      "reason" in current
    )
      return typeof current.reason === "string" ? current.reason : undefined;
    current = causeOf(current);
  }
  return undefined;
};

/**
 * The DeliveryErrorKind for whatever undici, net, tls or dns threw, looking through `cause` chains (undici and
 * fetch-style errors wrap the socket error). Unknown errors are "network": retried, never dropped.
 */
export const deliveryErrorKind = (error: unknown): DeliveryErrorKind => {
  let current = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    const code = codeOf(current);
    if (code !== undefined) {
      const kind = BY_CODE[code];
      if (kind !== undefined) return kind;
      if (TLS_CODE.test(code)) return "tls";
    }
    current = causeOf(current);
  }
  return "network";
};
