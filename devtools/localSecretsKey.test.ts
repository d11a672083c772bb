import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import * as E from "fp-ts/Either";

import { parseEncryptionKeys } from "../src/adapters/tables/secretCipher";
import { LOCAL_KEY_ID, localEncryptionKeys, SECRETS_KEY_FILE } from "./localSecretsKey";

describe("the local run's SECRETS_ENCRYPTION_KEYS", () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ped-secrets-key-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const idsOf = (value: string | undefined) => {
    const parsed = parseEncryptionKeys(value ?? "");
    return E.isRight(parsed) ? parsed.right.map((k) => k.id) : parsed.left;
  };

  it("generates a key once into <dataDir>/secrets.key, owner-only, and reuses it on the next start", () => {
    const dataDir = path.join(tempDir(), "not-yet-there");
    const first = localEncryptionKeys({}, dataDir, false);
    expect(idsOf(first)).toEqual([LOCAL_KEY_ID]);
    const file = path.join(dataDir, SECRETS_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(`${first}\n`);
    expect(localEncryptionKeys({}, dataDir, false)).toBe(first);
  });

  it("gives an in-memory run a fresh key each time and writes nothing", () => {
    const dataDir = tempDir();
    const one = localEncryptionKeys({}, dataDir, true);
    const two = localEncryptionKeys({}, dataDir, true);
    expect(idsOf(one)).toEqual([LOCAL_KEY_ID]);
    expect(one).not.toBe(two);
    expect(existsSync(path.join(dataDir, SECRETS_KEY_FILE))).toBe(false);
  });

  it("leaves a key the environment sets alone, even an empty one (the configuration check names it)", () => {
    const dataDir = tempDir();
    expect(localEncryptionKeys({ SECRETS_ENCRYPTION_KEYS: "k:x" }, dataDir, false)).toBeUndefined();
    expect(localEncryptionKeys({ SECRETS_ENCRYPTION_KEYS: "" }, dataDir, false)).toBeUndefined();
    expect(existsSync(path.join(dataDir, SECRETS_KEY_FILE))).toBe(false);
  });

  it("refuses a damaged key file, naming the file and not its content", () => {
    const dataDir = tempDir();
    const damaged = `local:${Buffer.alloc(20, 3).toString("base64")}`;
    writeFileSync(path.join(dataDir, SECRETS_KEY_FILE), damaged, { mode: 0o600 });
    expect(() => localEncryptionKeys({}, dataDir, false)).toThrow(
      new RegExp(`${SECRETS_KEY_FILE} does not hold a SECRETS_ENCRYPTION_KEYS value`),
    );
    expect(() => localEncryptionKeys({}, dataDir, false)).not.toThrow(damaged.slice(6));
  });
});
