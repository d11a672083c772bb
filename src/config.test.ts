import * as E from "fp-ts/Either";

import type { ConfigError } from "./config";
import { decodeConfig } from "./config";

const base = { AzureWebJobsStorage: "UseDevelopmentStorage=true" };

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
  });
});
