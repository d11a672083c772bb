import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto";

import * as E from "fp-ts/Either";

/**
 * Secrets at rest: AES-256-GCM over each stored secret value, under keys from SECRETS_ENCRYPTION_KEYS.
 *
 * Stored form (ASCII, self-describing): `enc:v1:<keyId>:<base64 IV>:<base64 ciphertext+tag>`, where the IV is
 * 12 random bytes per value and the 16-byte GCM tag follows the ciphertext. The associated data is the
 * `enc:v1:<keyId>` prefix and what the value is bound to (say `wh_1/secret`), so a value copied to another
 * row or field, or relabelled with another key id, does not verify.
 *
 * The setting: comma-separated `keyId:base64 of 32 bytes`; the first key encrypts, every key decrypts (old keys
 * stay listed until no row uses them).
 */
export const ENCRYPTION_KEYS_SETTING = "SECRETS_ENCRYPTION_KEYS";

const SEALED_PREFIX = "enc:";
const V1 = "enc:v1";
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One key. The material is a KeyObject: it does not show in JSON.stringify, util.inspect or a log line. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: KeyObject;
}

/** Every key of the setting, the one that encrypts first. */
export type EncryptionKeys = readonly [EncryptionKey, ...EncryptionKey[]];

/** Why a stored value does not open. None of them carries the value or any key material. */
export type OpenError =
  | { readonly kind: "UnknownFormat" }
  | { readonly kind: "UnknownKey"; readonly keyId: string }
  | { readonly kind: "NotAuthentic"; readonly keyId: string };

export interface SecretCipher {
  /** The id of the key new values are sealed with. */
  readonly currentKeyId: string;
  /** The stored form of `plaintext`, bound to `boundTo` (which row and field it belongs to). */
  readonly seal: (plaintext: string, boundTo: string) => string;
  /** The plaintext of a sealed value, if it was sealed by one of the keys for the same `boundTo`. */
  readonly open: (stored: string, boundTo: string) => E.Either<OpenError, string>;
}

/** Whether a stored value is in the sealed form (anything else was written before values were encrypted). */
export const isSealed = (stored: string): boolean => stored.startsWith(SEALED_PREFIX);

const decodeBase64 = (text: string): Buffer | undefined =>
  BASE64.test(text) && text.length % 4 === 0 ? Buffer.from(text, "base64") : undefined;

/**
 * The setting's keys, or why not. Messages name entries by position, never by content: a mistyped entry may
 * be a key.
 */
export const parseEncryptionKeys = (text: string): E.Either<string, EncryptionKeys> => {
  if (/^@Microsoft\.KeyVault\(/i.test(text.trim()))
    return E.left("an unresolved Key Vault reference: check the app's identity can read the secret");
  const keys: EncryptionKey[] = [];
  const entries = text.split(",").map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const position = `entry ${index + 1}`;
    const colon = entry.indexOf(":");
    const id = colon < 0 ? "" : entry.slice(0, colon);
    if (!KEY_ID.test(id))
      return E.left(`${position} has no key id (1-32 letters, digits, _ or -) before its ":"`);
    const material = decodeBase64(entry.slice(colon + 1));
    if (material?.length !== KEY_BYTES) return E.left(`${position}'s key is not base64 of 32 bytes`);
    const twin = keys.findIndex((key) => key.id === id);
    if (twin >= 0) return E.left(`entries ${twin + 1} and ${index + 1} have the same key id`);
    keys.push({ id, key: createSecretKey(material) });
  }
  const [first, ...rest] = keys;
  return first === undefined ? E.left("no keys") : E.right([first, ...rest]);
};

/** The setting's text for `keys` (the local runtime writes its generated key in this form). */
export const formatEncryptionKeys = (keys: ReadonlyArray<EncryptionKey>): string =>
  keys.map(({ id, key }) => `${id}:${key.export().toString("base64")}`).join(",");

/** A fresh key with this id (for local runs and tests; in Azure the key comes from Key Vault). */
export const generateEncryptionKey = (id: string): EncryptionKey => ({
  id,
  key: createSecretKey(randomBytes(KEY_BYTES)),
});

const associatedData = (header: string, boundTo: string): Buffer => Buffer.from(`${header}|${boundTo}`);

export const makeSecretCipher = (
  keys: EncryptionKeys,
  randomIv: () => Buffer = () => randomBytes(IV_BYTES),
): SecretCipher => {
  const [current] = keys;
  const byId = new Map(keys.map((key) => [key.id, key.key]));

  const seal = (plaintext: string, boundTo: string): string => {
    const header = `${V1}:${current.id}`;
    const iv = randomIv();
    const cipher = createCipheriv("aes-256-gcm", current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, boundTo));
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${header}:${iv.toString("base64")}:${sealed.toString("base64")}`;
  };

  const open = (stored: string, boundTo: string): E.Either<OpenError, string> => {
    const parts = stored.split(":");
    const [enc, version, keyId, ivText, sealedText] = parts;
    if (parts.length !== 5 || `${enc}:${version}` !== V1 || keyId === undefined || !KEY_ID.test(keyId))
      return E.left({ kind: "UnknownFormat" });
    const key = byId.get(keyId);
    if (key === undefined) return E.left({ kind: "UnknownKey", keyId });
    const iv = decodeBase64(ivText ?? "");
    const sealed = decodeBase64(sealedText ?? "");
    if (iv?.length !== IV_BYTES || sealed === undefined || sealed.length < TAG_BYTES)
      return E.left({ kind: "UnknownFormat" });
    return E.tryCatch(
      () => {
        const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(associatedData(`${V1}:${keyId}`, boundTo));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const body = sealed.subarray(0, sealed.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
      },
      (): OpenError => ({ kind: "NotAuthentic", keyId }),
    );
  };

  return { currentKeyId: current.id, seal, open };
};

/** A sentence for an error: which setting, which key id; never the value or the key. */
export const describeOpenError = (error: OpenError): string => {
  switch (error.kind) {
    case "UnknownFormat":
      return `is not in the ${V1} encrypted form`;
    case "UnknownKey":
      return `was encrypted with key "${error.keyId}", which ${ENCRYPTION_KEYS_SETTING} does not list`;
    case "NotAuthentic":
      return (
        `does not verify under ${ENCRYPTION_KEYS_SETTING} key "${error.keyId}"` +
        " (a different key under that id, or the stored value was altered)"
      );
    default: {
      const unreachable: never = error;
      return unreachable;
    }
  }
};
