import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import * as E from "fp-ts/Either";

import {
  ENCRYPTION_KEYS_SETTING,
  formatEncryptionKeys,
  generateEncryptionKey,
  parseEncryptionKeys,
} from "../src/adapters/tables/secretCipher";

/** The file in the data folder that holds a local run's SECRETS_ENCRYPTION_KEYS value. */
export const SECRETS_KEY_FILE = "secrets.key";

/** The id of the key a local run generates. */
export const LOCAL_KEY_ID = "local";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The SECRETS_ENCRYPTION_KEYS value for a local run, or undefined when the environment sets one (then that
 * is used, valid or not: the app's configuration check names it). An in-memory run gets a fresh key, as its
 * storage keeps nothing either. Otherwise the key is `<dataDir>/secrets.key`: generated on the first start
 * (owner-only, mode 0600) and read on every later one, so the webhooks stored in the data folder decrypt.
 * The key is never printed; a file that does not hold a valid value is an error naming the file, not its text.
 */
export const localEncryptionKeys = (env: Env, dataDir: string, inMemory: boolean): string | undefined => {
  if (env[ENCRYPTION_KEYS_SETTING] !== undefined) return undefined;
  if (inMemory) return formatEncryptionKeys([generateEncryptionKey(LOCAL_KEY_ID)]);
  const file = path.join(dataDir, SECRETS_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // "wx": created only if absent, so two starts on one data folder cannot each write their own key.
    writeFileSync(file, `${formatEncryptionKeys([generateEncryptionKey(LOCAL_KEY_ID)])}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readKeyFile(file);
};

const readKeyFile = (file: string): string => {
  const text = readFileSync(file, "utf8").trim();
  const parsed = parseEncryptionKeys(text);
  if (E.isLeft(parsed)) {
    throw new Error(
      `${file} does not hold a ${ENCRYPTION_KEYS_SETTING} value (${parsed.left}). It encrypts the webhooks ` +
        "stored in this data folder: restore it, or remove the data folder to start afresh.",
    );
  }
  return text;
};
