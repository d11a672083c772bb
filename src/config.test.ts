import * as E from "fp-ts/Either";

import type { ConfigError } from "./config";
import { decodeConfig } from "./config";

const KEY_1 = Buffer.alloc(32, 7).toString("base64");
const KEY_2 = Buffer.alloc(32, 9).toString("base64");
const base = { AzureWebJobsStorage: "UseDevelopmentStorage=true", SECRETS_ENCRYPTION_KEYS: `k1:${KEY_1}` };

describe("config", () => {
  it("fills in documented defaults", () => {
    const decoded = decodeConfig(base);
    expect(E.isRight(decoded)).toBe(true);
    if (E.isRight(decoded)) {
      expect(decoded.right.WEBHOOKS_TABLE).toBe("Webhooks");
      expect(decoded.right.WEBHOOK_CACHE_TTL_SECONDS).toBe(30);
      expect(decoded.right.ALLOW_INSECURE_WEBHOOKS).toBe(false);
      expect(decoded.right.RETRY_SCHEDULE).toEqual([
        0, 5000, 30000, 120000, 600000, 1800000, 3600000, 7200000,
      ]);
      expect(decoded.right.DELIVERY_CHUNK_SIZE).toBe(200);
    }
  });

  it("names every bad setting and never echoes its value", () => {
    const decoded = decodeConfig({
      ...base,
      AzureWebJobsStorage: "",
      DELIVERY_CHUNK_SIZE: "lots-secret-value",
      ALLOW_INSECURE_WEBHOOKS: "yes-secret-value",
    });
    expect(E.isLeft(decoded)).toBe(true);
    if (E.isLeft(decoded)) {
      const error: ConfigError = decoded.left;
      expect(error.message).toContain("AzureWebJobsStorage");
      expect(error.message).toContain("DELIVERY_CHUNK_SIZE");
      expect(error.message).toContain("ALLOW_INSECURE_WEBHOOKS");
      expect(error.message).not.toContain("secret-value");
    }
  });

  it("reports a missing required setting as missing", () => {
    const decoded = decodeConfig({});
    expect(E.isLeft(decoded) && decoded.left.message).toContain("AzureWebJobsStorage is missing");
    expect(E.isLeft(decoded) && decoded.left.message).toContain("SECRETS_ENCRYPTION_KEYS is missing");
  });
});

describe("config: purging finished orchestrations", () => {
  const purgeDays = (env: Record<string, string>) => {
    const decoded = decodeConfig({ ...base, ...env });
    return E.isRight(decoded) ? decoded.right.ORCHESTRATION_HISTORY_RETENTION_DAYS : decoded.left.message;
  };

  it("purges after 7 days, the longest a Standard Event Hub keeps (and can redeliver) a batch", () => {
    expect(purgeDays({})).toBe(7);
    expect(purgeDays({ EVENTHUB_RETENTION_DAYS: "1", ORCHESTRATION_HISTORY_RETENTION_DAYS: "1" })).toBe(1);
    expect(purgeDays({ EVENTHUB_RETENTION_DAYS: "90", ORCHESTRATION_HISTORY_RETENTION_DAYS: "90" })).toBe(90);
    expect(purgeDays({ ORCHESTRATION_HISTORY_RETENTION_DAYS: "0" })).toBe(0);
  });

  it("refuses a purge age shorter than the hub's retention: a redelivered batch would be dispatched again", () => {
    expect(purgeDays({ ORCHESTRATION_HISTORY_RETENTION_DAYS: "3" })).toContain(
      "ORCHESTRATION_HISTORY_RETENTION_DAYS is invalid",
    );
    expect(purgeDays({ EVENTHUB_RETENTION_DAYS: "90" })).toContain("at least EVENTHUB_RETENTION_DAYS");
  });
});

describe("config: SECRETS_ENCRYPTION_KEYS", () => {
  it.each([
    ["one key", `k1:${KEY_1}`, ["k1"]],
    ["a new key first and the old one still readable", `k2:${KEY_2},k1:${KEY_1}`, ["k2", "k1"]],
    ["spaces around entries", ` k2:${KEY_2} , k1:${KEY_1} `, ["k2", "k1"]],
  ])("accepts %s, the first key encrypting", (_what, value, ids) => {
    const decoded = decodeConfig({ ...base, SECRETS_ENCRYPTION_KEYS: value });
    expect(E.isRight(decoded) && decoded.right.SECRETS_ENCRYPTION_KEYS.map((k) => k.id)).toEqual(ids);
  });

  it.each([
    ["missing", undefined, "SECRETS_ENCRYPTION_KEYS is missing"],
    ["empty", "", "SECRETS_ENCRYPTION_KEYS is invalid"],
    ["a bare key without an id", KEY_1, "entry 1 has no key id"],
    [
      "a 16-byte key",
      `k1:${Buffer.alloc(16, 7).toString("base64")}`,
      "entry 1's key is not base64 of 32 bytes",
    ],
    ["a key in hex", `k1:${Buffer.alloc(32, 7).toString("hex")}`, "entry 1's key is not base64 of 32 bytes"],
    [
      "a malformed second key",
      `k1:${KEY_1},k2:${KEY_2.slice(0, 20)}`,
      "entry 2's key is not base64 of 32 bytes",
    ],
    ["a repeated key id", `k1:${KEY_1},k1:${KEY_2}`, "entries 1 and 2 have the same key id"],
    [
      "a Key Vault reference the platform did not resolve",
      "@Microsoft.KeyVault(VaultName=v;SecretName=dispatcher-keys)",
      "unresolved Key Vault reference",
    ],
  ])("refuses %s, naming the setting and never echoing the value", (_what, value, message) => {
    const decoded = decodeConfig({ ...base, SECRETS_ENCRYPTION_KEYS: value });
    expect(E.isLeft(decoded)).toBe(true);
    if (E.isLeft(decoded)) {
      expect(decoded.left.settings).toEqual([expect.stringMatching(/^SECRETS_ENCRYPTION_KEYS is /)]);
      expect(decoded.left.message).toContain(message);
      for (const secret of [KEY_1, KEY_2, KEY_2.slice(0, 20), "dispatcher-keys"])
        expect(decoded.left.message).not.toContain(secret);
    }
  });

  it("keeps key material out of the decoded configuration's JSON", () => {
    const decoded = decodeConfig(base);
    expect(E.isRight(decoded) && JSON.stringify(decoded.right)).not.toContain(KEY_1);
  });
});
