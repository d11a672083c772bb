import { inspect } from "node:util";

import * as E from "fp-ts/Either";

import {
  describeOpenError,
  formatEncryptionKeys,
  generateEncryptionKey,
  isSealed,
  makeSecretCipher,
  parseEncryptionKeys,
} from "./secretCipher";

const SECRET = "whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==";
const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");

const keysOf = (text: string) => {
  const parsed = parseEncryptionKeys(text);
  if (E.isLeft(parsed)) throw new Error(parsed.left);
  return parsed.right;
};

/** Flips one bit of the base64 field at `index` (3 = IV, 4 = ciphertext+tag) of a sealed value. */
const flipBit = (sealed: string, index: number, byte = 0): string => {
  const parts = sealed.split(":");
  const bytes = Buffer.from(parts[index] ?? "", "base64");
  bytes[byte] = (bytes[byte] ?? 0) ^ 1;
  parts[index] = bytes.toString("base64");
  return parts.join(":");
};

describe("secret cipher (AES-256-GCM)", () => {
  it("seals to enc:v1:<keyId>:<iv>:<ciphertext+tag> without the plaintext, and opens it again", () => {
    const cipher = makeSecretCipher(keysOf(`k1:${KEY_A}`));
    const sealed = cipher.seal(SECRET, "wh_1/secret");
    expect(sealed).toMatch(/^enc:v1:k1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(sealed.split(":")[3] ?? "", "base64")).toHaveLength(12);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString("base64"));
    expect(isSealed(sealed)).toBe(true);
    expect(cipher.open(sealed, "wh_1/secret")).toEqual(E.right(SECRET));
  });

  it("uses a fresh IV for every value, so equal plaintexts do not look equal", () => {
    const cipher = makeSecretCipher(keysOf(`k1:${KEY_A}`));
    const sealed = new Set(Array.from({ length: 50 }, () => cipher.seal(SECRET, "wh_1/secret")));
    expect(sealed.size).toBe(50);
  });

  it("seals with the first key and opens values sealed with any listed key", () => {
    const old = makeSecretCipher(keysOf(`old:${KEY_A}`));
    const sealedWithOld = old.seal(SECRET, "wh_1/secret");
    const rotated = makeSecretCipher(keysOf(`new:${KEY_B},old:${KEY_A}`));
    expect(rotated.currentKeyId).toBe("new");
    expect(rotated.open(sealedWithOld, "wh_1/secret")).toEqual(E.right(SECRET));
    expect(rotated.seal(SECRET, "wh_1/secret")).toMatch(/^enc:v1:new:/);
  });

  it("refuses a value sealed with a key the ring does not list, naming the key id and the setting", () => {
    const sealed = makeSecretCipher(keysOf(`gone:${KEY_A}`)).seal(SECRET, "wh_1/secret");
    const opened = makeSecretCipher(keysOf(`k1:${KEY_B}`)).open(sealed, "wh_1/secret");
    expect(opened).toEqual(E.left({ kind: "UnknownKey", keyId: "gone" }));
    if (E.isLeft(opened)) expect(describeOpenError(opened.left)).toContain("SECRETS_ENCRYPTION_KEYS");
  });

  it("refuses a value whose key id names another key's material (wrong key)", () => {
    const sealed = makeSecretCipher(keysOf(`k1:${KEY_A}`)).seal(SECRET, "wh_1/secret");
    expect(makeSecretCipher(keysOf(`k1:${KEY_B}`)).open(sealed, "wh_1/secret")).toEqual(
      E.left({ kind: "NotAuthentic", keyId: "k1" }),
    );
  });

  it.each([
    ["a bit of the ciphertext", (s: string) => flipBit(s, 4, 0)],
    [
      "a bit of the tag",
      (s: string) => flipBit(s, 4, Buffer.from(s.split(":")[4] ?? "", "base64").length - 1),
    ],
    ["a bit of the IV", (s: string) => flipBit(s, 3, 0)],
    ["the key id, relabelled to another listed key", (s: string) => s.replace(":k1:", ":k2:")],
  ])("refuses a tampered value (%s)", (_what, tamper) => {
    const cipher = makeSecretCipher(keysOf(`k1:${KEY_A},k2:${KEY_B}`));
    const opened = cipher.open(tamper(cipher.seal(SECRET, "wh_1/secret")), "wh_1/secret");
    expect(E.isLeft(opened) && opened.left.kind).toBe("NotAuthentic");
  });

  it("refuses a value moved to another row or field", () => {
    const cipher = makeSecretCipher(keysOf(`k1:${KEY_A}`));
    const sealed = cipher.seal(SECRET, "wh_1/secret");
    expect(E.isLeft(cipher.open(sealed, "wh_2/secret"))).toBe(true);
    expect(E.isLeft(cipher.open(sealed, "wh_1/previousSecret"))).toBe(true);
  });

  it.each([
    "enc:v2:k1:AAAA:AAAA",
    "enc:v1:k1:AAAA",
    "enc:v1:k1:not base64:AAAA",
    "enc:v1:k1:AAAAAAAAAAAAAAAA:AAAA",
  ])("refuses a value that is not in the v1 form (%s)", (stored) => {
    expect(makeSecretCipher(keysOf(`k1:${KEY_A}`)).open(stored, "wh_1/secret")).toEqual(
      E.left({ kind: "UnknownFormat" }),
    );
  });

  it("tells plaintext from sealed values by the enc: prefix", () => {
    expect(isSealed(SECRET)).toBe(false);
    expect(isSealed('{"authorization":"Bearer x"}')).toBe(false);
  });
});

describe("SECRETS_ENCRYPTION_KEYS parsing", () => {
  it("reads ids and keys in order, the first one encrypting, and writes them back in the same form", () => {
    const keys = keysOf(` k1:${KEY_A} , old-2_x:${KEY_B} `);
    expect(keys.map((k) => k.id)).toEqual(["k1", "old-2_x"]);
    expect(formatEncryptionKeys(keys)).toBe(`k1:${KEY_A},old-2_x:${KEY_B}`);
  });

  it.each([
    ["no id", KEY_A, "entry 1 has no key id"],
    ["an empty id", `:${KEY_A}`, "entry 1 has no key id"],
    ["an id with a space", `k 1:${KEY_A}`, "entry 1 has no key id"],
    [
      "a 16-byte key",
      `k1:${Buffer.alloc(16, 1).toString("base64")}`,
      "entry 1's key is not base64 of 32 bytes",
    ],
    ["a key that is not base64", `k1:${"*".repeat(44)}`, "entry 1's key is not base64 of 32 bytes"],
    ["an empty second entry", `k1:${KEY_A},`, "entry 2 has no key id"],
    ["a repeated id", `k1:${KEY_A},k1:${KEY_B}`, "entries 1 and 2 have the same key id"],
    [
      "an unresolved Key Vault reference",
      "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k/)",
      "Key Vault",
    ],
  ])("refuses %s, saying what is wrong without echoing it", (_what, text, message) => {
    const parsed = parseEncryptionKeys(text);
    expect(E.isLeft(parsed) && parsed.left).toContain(message);
    if (E.isLeft(parsed)) {
      expect(parsed.left).not.toContain(KEY_A);
      expect(parsed.left).not.toContain(KEY_B);
    }
  });

  it("keeps key material out of JSON and inspection", () => {
    const keys = keysOf(`k1:${KEY_A}`);
    expect(JSON.stringify(keys)).not.toContain(KEY_A);
    expect(inspect(keys, { depth: 10 })).not.toContain(KEY_A);
    expect(inspect(generateEncryptionKey("x"), { depth: 10 })).not.toMatch(/[A-Za-z0-9+/]{43}=/);
  });
});
