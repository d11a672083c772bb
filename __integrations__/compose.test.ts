import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import * as E from "fp-ts/Either";
import { parse } from "yaml";

import { decodeConfig } from "../src/config";
import { exitCodeOf, REPO_ROOT, SERVICES } from "./docker/composeStack";

// Docker cannot run on our machines, so the compose path is checked structurally: the services, images and
// settings the images' documentation asks for, and that the pieces agree with each other and with the app.

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; target: string };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(path.join(REPO_ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const env = (name: string): Record<string, string> => service(name).environment ?? {};
/** Compose interpolation: "$$" is a literal "$". */
const interpolated = (values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v).replace(/\$\$/g, "$")]));
const mounts = (name: string): Array<{ source: string; target: string }> =>
  (service(name).volumes ?? []).map((v) => {
    const [source = "", target = ""] = v.split(":");
    return { source: path.resolve(REPO_ROOT, source), target };
  });
const readJson = (file: string): any => JSON.parse(readFileSync(file, "utf8"));
const dockerfile = readFileSync(path.join(REPO_ROOT, "__integrations__/docker/Dockerfile"), "utf8");
/** The Dockerfile's stage named `target`: its FROM line to the next FROM. */
const stage = (target: string): string => {
  const start = dockerfile.search(new RegExp(`^FROM \\S+ AS ${target}$`, "m"));
  if (start < 0) throw new Error(`the Dockerfile has no stage ${target}`);
  const next = dockerfile.indexOf("\nFROM ", start + 1);
  return dockerfile.slice(start, next < 0 ? undefined : next);
};

describe("docker-compose.yml", () => {
  it("has exactly the services the compose driver waits for, each depending only on defined services", () => {
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICES].sort());
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect({ name, dependency, defined: dependency in compose.services }).toMatchObject({
          defined: true,
        });
        if (condition === "service_healthy") expect(service(dependency).healthcheck).toBeDefined();
      }
    }
  });

  it("runs Microsoft's Azurite image with blob, queue and table reachable from other containers", () => {
    expect(service("azurite").image).toMatch(/^mcr\.microsoft\.com\/azure-storage\/azurite(:|$)/);
    const command = String((service("azurite") as { command?: string }).command);
    for (const host of ["--blobHost 0.0.0.0", "--queueHost 0.0.0.0", "--tableHost 0.0.0.0"])
      expect(command).toContain(host);
  });

  it("runs Microsoft's Event Hubs emulator with its EULA accepted, Azurite as its storage and io-events x 4", () => {
    const emulator = service("eventhubs-emulator");
    expect(emulator.image).toMatch(/^mcr\.microsoft\.com\/azure-messaging\/eventhubs-emulator(:|$)/);
    expect(env("eventhubs-emulator")).toMatchObject({
      ACCEPT_EULA: "Y",
      BLOB_SERVER: "azurite",
      METADATA_SERVER: "azurite",
    });
    expect(Object.keys(emulator.depends_on ?? {})).toContain("azurite");
    const config = mounts("eventhubs-emulator").find(
      (m) => m.target === "/Eventhubs_Emulator/ConfigFiles/Config.json",
    );
    expect(config !== undefined && existsSync(config.source)).toBe(true);
    const namespace = readJson(config!.source).UserConfig.NamespaceConfig[0];
    expect(namespace).toMatchObject({ Type: "EventHub", Name: "emulatorNs1" });
    const hub = namespace.Entities.find(
      (e: { Name: string }) => e.Name === env("function-app").EVENTHUB_NAME,
    );
    expect(hub).toMatchObject({ Name: "io-events", PartitionCount: "4" });
    // $default exists implicitly; the emulator's schema forbids listing it.
    expect(JSON.stringify(hub.ConsumerGroups ?? [])).not.toContain("$default");
  });

  it("builds the app on the Azure Functions Node 20 image with dist, host.json, package.json and node_modules", () => {
    expect(service("function-app").build).toMatchObject({
      context: ".",
      dockerfile: "__integrations__/docker/Dockerfile",
      target: "app",
    });
    const app = stage("app");
    expect(app).toMatch(/^FROM mcr\.microsoft\.com\/azure-functions\/node:4-node20 AS app$/m);
    expect(app).toContain("AzureWebJobsScriptRoot=/home/site/wwwroot");
    for (const piece of ["package.json", "host.json", "node_modules", "dist"]) expect(app).toContain(piece);
    expect(stage("prod-deps")).toContain("npm prune --omit=dev");
  });

  it("gives the app settings its configuration codec accepts, pointing at the emulators", () => {
    const settings = interpolated(env("function-app"));
    expect(E.isRight(decodeConfig(settings))).toBe(true);
    expect(settings.AzureWebJobsStorage).toMatch(/QueueEndpoint=http:\/\/azurite:10001\//);
    expect(settings.AzureWebJobsStorage).toMatch(/TableEndpoint=http:\/\/azurite:10002\//);
    expect(settings.EVENTHUB_CONNECTION).toMatch(
      /^Endpoint=sb:\/\/eventhubs-emulator;.*UseDevelopmentEmulator=true/,
    );
    expect(settings.EVENTHUB_CONSUMER_GROUP).toBe("$default");
  });

  it("gives the function host the admin key the test agent uses, from a files secret store", () => {
    const settings = env("function-app");
    expect(settings.AzureWebJobsSecretStorageType).toBe("files");
    const secrets = mounts("function-app").find(
      (m) => m.target === `${settings.FUNCTIONS_SECRETS_PATH}/host.json`,
    );
    expect(secrets !== undefined && existsSync(secrets.source)).toBe(true);
    const keys = readJson(secrets!.source).functionKeys.map((k: { value: string }) => k.value);
    expect(keys).toContain(env("test-agent").INTEGRATION_ADMIN_KEY);
  });

  it("points the test agent at the app, the same hub and storage, and receivers the app can reach", () => {
    const agent = env("test-agent");
    expect(service("test-agent").build).toMatchObject({ target: "agent" });
    expect(new URL(agent.INTEGRATION_ADMIN_URL ?? "").hostname).toBe("function-app");
    expect(agent.INTEGRATION_EVENTHUB_CONNECTION).toBe(env("function-app").EVENTHUB_CONNECTION);
    expect(agent.INTEGRATION_EVENTHUB_NAME).toBe(env("function-app").EVENTHUB_NAME);
    expect(agent.INTEGRATION_STORAGE_CONNECTION).toBe(env("function-app").AzureWebJobsStorage);
    expect(agent.INTEGRATION_RECEIVER_HOST).toBe("test-agent");
    expect(agent.INTEGRATION_RECEIVER_BIND_HOST).toBe("0.0.0.0");
    expect(service("test-agent").depends_on?.["function-app"]?.condition).toBe("service_healthy");
  });

  it("has the agent print the exit-code line the compose driver waits for", () => {
    const cmd = /^CMD (.*)$/m.exec(stage("agent"))?.[1] ?? "";
    expect(cmd).toContain("jest -c __integrations__/jest.config.json --runInBand");
    // The suite in the container needs what the native run reads: the compose file among them.
    expect(stage("agent")).toMatch(/^COPY docker-compose\.yml /m);
    expect(stage("agent")).toMatch(/^COPY __integrations__ /m);
    expect(exitCodeOf(cmd.replace("$code", "0"))).toBe(0);
    expect(exitCodeOf("integration-suite-exit-code=1\n")).toBe(1);
    expect(exitCodeOf("no line")).toBeUndefined();
  });
});
