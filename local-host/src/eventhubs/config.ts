import { readFileSync } from "node:fs";

import { isLeft } from "fp-ts/Either";
import * as t from "io-ts";

export const HubConfig = t.type({
  name: t.string,
  partitionCount: t.number,
  consumerGroups: t.readonlyArray(t.string),
});
export type HubConfig = t.TypeOf<typeof HubConfig>;

export const HubsFile = t.type({ hubs: t.readonlyArray(HubConfig) });
export type HubsFile = t.TypeOf<typeof HubsFile>;

export const DEFAULT_HUBS: ReadonlyArray<HubConfig> = [
  { name: "io-events", partitionCount: 4, consumerGroups: ["$default"] },
];

const pathOf = (context: t.Context): string =>
  context
    .map((entry) => entry.key)
    .filter((key) => key !== "")
    .join(".");

/** Checks what the codec cannot: sane partition counts, names that fit in an address, no duplicates. */
export const validateHubs = (hubs: ReadonlyArray<HubConfig>): ReadonlyArray<HubConfig> => {
  const seen = new Set<string>();
  hubs.forEach((hub, i) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(hub.name))
      throw new Error(`hubs.${i}.name must be letters, digits, '.', '_' or '-'`);
    if (seen.has(hub.name)) throw new Error(`hubs.${i}.name repeats an earlier hub's name`);
    seen.add(hub.name);
    if (!Number.isInteger(hub.partitionCount) || hub.partitionCount < 1 || hub.partitionCount > 1024)
      throw new Error(`hubs.${i}.partitionCount must be an integer from 1 to 1024`);
    if (hub.consumerGroups.length === 0) throw new Error(`hubs.${i}.consumerGroups must not be empty`);
  });
  return hubs;
};

/** Hubs from a JSON file shaped {hubs: [{name, partitionCount, consumerGroups}]}; errors name the field. */
export const loadHubsConfig = (file: string): ReadonlyArray<HubConfig> => {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot read Event Hubs config ${file}: ${reason}`);
  }
  const decoded = HubsFile.decode(json);
  if (isLeft(decoded)) {
    const paths = decoded.left.map(
      (e) => `${pathOf(e.context) || "(root)"} (${e.context.at(-1)?.type.name})`,
    );
    throw new Error(`invalid Event Hubs config ${file}: ${[...new Set(paths)].join("; ")}`);
  }
  try {
    return validateHubs(decoded.right.hubs);
  } catch (error) {
    throw new Error(`invalid Event Hubs config ${file}: ${error instanceof Error ? error.message : ""}`);
  }
};
