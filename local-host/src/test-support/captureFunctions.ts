import { FunctionsCoreShim } from "../functionsCore";

/**
 * Loads modules that register functions with a fresh functions-core shim and returns what they registered.
 * Jest has its own module registry, so the shim is installed with a virtual jest mock rather than the Node
 * module hook the local runtime uses; what @azure/functions sees is the same object either way.
 */
export const captureFunctions = (load: () => void): FunctionsCoreShim => {
  const shim = new FunctionsCoreShim();
  jest.isolateModules(() => {
    jest.doMock("@azure/functions-core", () => shim.module(), { virtual: true });
    load();
  });
  jest.dontMock("@azure/functions-core");
  return shim;
};
