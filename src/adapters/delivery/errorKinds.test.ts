import { errors } from "undici";

import { AttemptTimeoutError, deliveryErrorKind } from "./errorKinds";
import { BlockedTargetError } from "./guardedConnector";

const withCode = (code: string): Error => Object.assign(new Error(code), { code });

describe("deliveryErrorKind", () => {
  it.each([
    [new errors.ConnectTimeoutError(), "connect-timeout"],
    [new errors.HeadersTimeoutError(), "timeout"],
    [new errors.BodyTimeoutError(), "timeout"],
    [new errors.SocketError("other side closed"), "connection-reset"],
    [new AttemptTimeoutError(100), "timeout"],
    [new BlockedTargetError("loopback"), "blocked-target"],
    [withCode("ECONNREFUSED"), "connection-refused"],
    [withCode("ECONNRESET"), "connection-reset"],
    [withCode("EPIPE"), "connection-reset"],
    [withCode("ENOTFOUND"), "dns"],
    [withCode("EAI_AGAIN"), "dns"],
    [withCode("ERR_TLS_CERT_ALTNAME_INVALID"), "tls"],
    [withCode("CERT_HAS_EXPIRED"), "tls"],
    [withCode("DEPTH_ZERO_SELF_SIGNED_CERT"), "tls"],
    [withCode("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "tls"],
    [withCode("EHOSTUNREACH"), "network"],
    [withCode("SOMETHING_NEW"), "network"],
    [new Error("no code"), "network"],
    ["a string", "network"],
    [undefined, "network"],
  ])("maps %p to %s", (error, kind) => {
    expect(deliveryErrorKind(error)).toBe(kind);
  });

  it("looks through cause chains (fetch-style wrapping)", () => {
    const wrapped = new TypeError("fetch failed", { cause: withCode("ECONNREFUSED") });
    expect(deliveryErrorKind(wrapped)).toBe("connection-refused");
    const aborted = Object.assign(new Error("aborted"), {
      code: "UND_ERR_ABORTED",
      cause: new AttemptTimeoutError(5),
    });
    expect(deliveryErrorKind(aborted)).toBe("timeout");
  });

  it("stops on a cyclic cause chain", () => {
    const a: { code: string; cause?: unknown } = { code: "X" };
    a.cause = a;
    expect(deliveryErrorKind(a)).toBe("network");
  });
});
