import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { applyLocalSettings, readLocalSettings } from "./localSettings";

const appWith = (settings: unknown): string => {
  const root = mkdtempSync(path.join(tmpdir(), "local-settings-"));
  if (settings !== undefined)
    writeFileSync(
      path.join(root, "local.settings.json"),
      typeof settings === "string" ? settings : JSON.stringify(settings),
    );
  return root;
};

describe("readLocalSettings", () => {
  it("reads Values and Host.LocalHttpPort and ignores other top-level keys", () => {
    const root = appWith({
      IsEncrypted: false,
      Values: { A: "1", N: 2, B: true },
      Host: { LocalHttpPort: 7072, CORS: "*" },
      ConnectionStrings: { Db: "x" },
      Whatever: [],
    });
    expect(readLocalSettings(root)).toEqual({ values: { A: "1", N: "2", B: "true" }, localHttpPort: 7072 });
  });

  it("treats a missing file as no settings", () => {
    expect(readLocalSettings(appWith(undefined))).toEqual({ values: {} });
  });

  it("refuses an encrypted file with a message that says so", () => {
    expect(() => readLocalSettings(appWith({ IsEncrypted: true, Values: { A: "x" } }))).toThrow(
      /encrypted \(IsEncrypted: true\).*func settings decrypt/,
    );
  });

  it.each<[string, unknown, RegExp]>([
    ["invalid JSON", "{ nope", /not valid JSON/],
    ["a Values array", { Values: [] }, /"Values" must be an object/],
    ["an object value", { Values: { A: { b: 1 } } }, /Values\.A must be a string/],
    ["a port out of range", { Host: { LocalHttpPort: 70000 } }, /LocalHttpPort must be a port number/],
  ])("refuses %s", (_what, settings, message) => {
    expect(() => readLocalSettings(appWith(settings))).toThrow(message);
  });

  it("never puts a setting's value in an error", () => {
    expect(() => readLocalSettings(appWith({ Values: { SECRET: { v: "hunter2" } } }))).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining("hunter2") as unknown }),
    );
  });
});

describe("applyLocalSettings", () => {
  it("lets the environment win and uses LocalHttpPort as the PORT default", () => {
    const env: NodeJS.ProcessEnv = { A: "from env" };
    const applied = applyLocalSettings(env, { values: { A: "from file", B: "b" }, localHttpPort: 7075 });
    expect(env).toEqual({ A: "from env", B: "b", PORT: "7075" });
    expect(applied).toEqual(["PORT", "B"]);
  });

  it("keeps PORT from the environment over LocalHttpPort", () => {
    const env: NodeJS.ProcessEnv = { PORT: "0" };
    applyLocalSettings(env, { values: {}, localHttpPort: 7075 });
    expect(env.PORT).toBe("0");
  });
});
