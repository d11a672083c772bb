import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { parse } from "@cdktf/hcl2json";

/**
 * infra/*.tf as JSON, parsed by @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly; offline). Blocks
 * come as arrays (one entry per block), expressions as "${...}" strings, literals as JSON values.
 */
export const INFRA_DIR = path.resolve(__dirname, "..", "..", "infra");

export type Block = Record<string, unknown>;

export interface Terraform {
  readonly resource: Record<string, Record<string, Block[]>>;
  readonly variable: Record<string, Block[]>;
  readonly output: Record<string, Block[]>;
  readonly locals: Record<string, unknown>;
}

export const infraFiles = (): Record<string, string> =>
  Object.fromEntries(
    readdirSync(INFRA_DIR)
      .filter((f) => f.endsWith(".tf"))
      .sort()
      .map((f) => [f, readFileSync(path.join(INFRA_DIR, f), "utf8")]),
  );

/** Parses every file and merges them as Terraform does a module's files (resources, variables, outputs, locals). */
export const parseTerraform = async (files: Record<string, string>): Promise<Terraform> => {
  const merged: {
    resource: Record<string, Record<string, Block[]>>;
    variable: Record<string, Block[]>;
    output: Record<string, Block[]>;
    locals: Record<string, unknown>;
  } = { resource: {}, variable: {}, output: {}, locals: {} };
  for (const [name, text] of Object.entries(files)) {
    const json = (await parse(name, text)) as {
      resource?: Record<string, Record<string, Block[]>>;
      variable?: Record<string, Block[]>;
      output?: Record<string, Block[]>;
      locals?: Array<Record<string, unknown>>;
    };
    for (const [type, byName] of Object.entries(json.resource ?? {}))
      merged.resource[type] = { ...merged.resource[type], ...byName };
    Object.assign(merged.variable, json.variable ?? {});
    Object.assign(merged.output, json.output ?? {});
    for (const block of json.locals ?? []) Object.assign(merged.locals, block);
  }
  return merged;
};

/** The one block of `type.name` (resources are declared once). */
export const resource = (tf: Terraform, type: string, name: string): Block => {
  const block = tf.resource[type]?.[name]?.[0];
  if (block === undefined) throw new Error(`infra declares no resource ${type}.${name}`);
  return block;
};
