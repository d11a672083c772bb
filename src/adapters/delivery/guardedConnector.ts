import * as dns from "node:dns";
import * as net from "node:net";

import { buildConnector } from "undici";

import { blockedAddressReason } from "../../domain/addressPolicy";

/** A connection refused by the outbound address policy; no TCP connection was opened. */
export class BlockedTargetError extends Error {
  readonly code = "ERR_BLOCKED_TARGET";
  constructor(readonly reason: string) {
    super(`webhook target refused: ${reason}`);
    this.name = "BlockedTargetError";
  }
}

/**
 * A DNS lookup for net.connect that resolves as usual and then refuses the connection if any resolved address is
 * blocked. It judges the addresses the socket will actually use, so a public-looking name that points inside
 * (localhost, a rebinding domain) is refused too.
 * Failure policy: a name with both public and blocked addresses is refused as a whole rather than filtered,
 * since the mix is itself a sign of a rebinding attempt; the delivery becomes permanent "blocked-target".
 */
export const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    const blocked = addresses
      .map((a) => {
        const reason = blockedAddressReason(a.address);
        return reason === undefined ? undefined : `${reason}: ${a.address} for ${hostname}`;
      })
      .find((reason) => reason !== undefined);
    if (blocked !== undefined) return callback(new BlockedTargetError(blocked), "", 0);
    const first = addresses[0];
    if (first === undefined)
      return callback(Object.assign(new Error("no address"), { code: "ENOTFOUND" }), "", 0);
    return options.all === true ? callback(null, addresses) : callback(null, first.address, first.family);
  });
};

/**
 * An undici connector that never opens a socket to a blocked address: IP literals are judged before connecting
 * (net.connect skips the lookup for them, using exactly the net.isIP test applied here), names through
 * guardedLookup. With allowPrivateTargets (local runs and tests) it is undici's plain connector.
 */
export const makeConnector = (options: {
  connectTimeoutMs: number;
  allowPrivateTargets: boolean;
}): buildConnector.connector => {
  if (options.allowPrivateTargets) return buildConnector({ timeout: options.connectTimeoutMs });
  const connect = buildConnector({ timeout: options.connectTimeoutMs, lookup: guardedLookup });
  return (target, callback) => {
    const reason = net.isIP(target.hostname) === 0 ? undefined : blockedAddressReason(target.hostname);
    if (reason !== undefined) return callback(new BlockedTargetError(`${reason}: ${target.hostname}`), null);
    return connect(target, callback);
  };
};
