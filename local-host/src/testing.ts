/**
 * Test support for apps hosted by the local host (jest only: these use jest's module registry). Imported as
 * "functions-local-host/testing".
 */
export { captureDurable, type Df, type Harness, runToCompletion, startHarness } from "./durable/testHarness";
export { Clients, collect, earliestEventPosition } from "./eventhubs/testClients";
export { type FunctionsCoreShim } from "./functionsCore";
export { captureFunctions } from "./test-support/captureFunctions";
export { startSharedTestAzurite, stopSharedTestAzurite } from "./test-support/sharedAzurite";
export { freshTableName, tableClient, testStorageConnection } from "./test-support/storage";
