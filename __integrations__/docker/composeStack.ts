import path from "node:path";

import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from "testcontainers";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const COMPOSE_FILE = "docker-compose.yml";
/** The line the test-agent prints after jest finishes (see the Dockerfile's agent target). */
export const EXIT_LINE = /integration-suite-exit-code=(\d+)/;

const MINUTE = 60_000;

/** The compose services, in start order; each gets a wait strategy below. */
export const SERVICES = ["azurite", "eventhubs-emulator", "function-app", "test-agent"] as const;
export type Service = (typeof SERVICES)[number];

/** testcontainers names compose containers "<service>-<replica>". */
const container = (service: Service): string => `${service}-1`;

/**
 * The compose stack with a wait strategy per container (testcontainers names them <service>-<index>): Azurite and
 * the app by their health checks, the Event Hubs emulator by its documented ready line, and the test-agent until
 * it prints its exit-code line, i.e. until the whole suite has run inside it.
 */
export const composeStack = (): DockerComposeEnvironment =>
  new DockerComposeEnvironment(REPO_ROOT, COMPOSE_FILE)
    .withBuild()
    .withWaitStrategy(container("azurite"), Wait.forHealthCheck().withStartupTimeout(2 * MINUTE))
    .withWaitStrategy(
      container("eventhubs-emulator"),
      Wait.forLogMessage(/Emulator Service is Successfully Up!/).withStartupTimeout(5 * MINUTE),
    )
    .withWaitStrategy(container("function-app"), Wait.forHealthCheck().withStartupTimeout(5 * MINUTE))
    .withWaitStrategy(container("test-agent"), Wait.forLogMessage(EXIT_LINE).withStartupTimeout(20 * MINUTE));

/** The exit code the test-agent reported in its log, or undefined when it printed none. */
export const exitCodeOf = (log: string): number | undefined => {
  const match = EXIT_LINE.exec(log);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

/** The test-agent's whole log (jest's output), read once the container has reported its exit code. */
export const agentLog = async (stack: StartedDockerComposeEnvironment): Promise<string> => {
  const stream = await stack.getContainer(container("test-agent")).logs();
  return new Promise<string>((resolve, reject) => {
    let text = "";
    stream.on("data", (chunk: Buffer | string) => {
      text += chunk.toString();
      if (exitCodeOf(text) !== undefined) {
        stream.destroy();
        resolve(text);
      }
    });
    stream.on("error", reject);
    stream.on("end", () => resolve(text));
  });
};
