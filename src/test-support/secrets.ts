import {
  type EncryptionKeys,
  formatEncryptionKeys,
  generateEncryptionKey,
  makeSecretCipher,
  type SecretCipher,
} from "../adapters/tables/secretCipher";

/** A fresh key ring of one random key (or of the ids given, the first encrypting), for one test's store. */
export const testEncryptionKeys = (...ids: ReadonlyArray<string>): EncryptionKeys => {
  const [first = "test", ...rest] = ids;
  return [generateEncryptionKey(first), ...rest.map(generateEncryptionKey)];
};

/** A cipher over a fresh random key: what a test's webhook store seals with. */
export const testSecretCipher = (keys: EncryptionKeys = testEncryptionKeys()): SecretCipher =>
  makeSecretCipher(keys);

/** A SECRETS_ENCRYPTION_KEYS value with a fresh random key, for tests that configure the app through env. */
export const testEncryptionKeysSetting = (): string => formatEncryptionKeys(testEncryptionKeys());
