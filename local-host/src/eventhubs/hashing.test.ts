import fc from "fast-check";

import { partitionForKey, partitionKeyHash } from "./hashing";
import { sdkPartitionMapper } from "./testClients";

const sdkMapper = sdkPartitionMapper();

describe("partition-key hashing", () => {
  it("computes the same hash as the Event Hubs SDK for any key", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (key) => {
        expect(partitionKeyHash(key)).toBe(sdkMapper.hashPartitionKey(key));
      }),
      { numRuns: 2000 },
    );
  });

  it("maps a key to the partition the SDK expects, for any partition count", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 32 }), (key, count) => {
        expect(partitionForKey(key, count)).toBe(sdkMapper.mapPartitionKeyToId(key, count));
      }),
    );
  });

  it("hashes every tail length of lookup3 (0 to 12 trailing bytes) the SDK's way", () => {
    for (let length = 0; length <= 40; length++) {
      const key = "RSSMRA85T10A562S".repeat(3).slice(0, length);
      expect(partitionKeyHash(key)).toBe(sdkMapper.hashPartitionKey(key));
    }
  });
});
