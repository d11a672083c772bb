/** Storage helpers for the app's tests: the Azurite that globalSetup started, fresh tables. */
export { freshTableName, tableClient, testStorageConnection } from "functions-local-host/testing";
