import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";

import { azureCredential } from "./azureCredential";

describe("azureCredential (constructed only: nothing here asks for a token)", () => {
  it("uses the managed identity for __credential=managedidentity, the user-assigned one with __clientId", () => {
    expect(azureCredential({ kind: "managedIdentity" })).toBeInstanceOf(ManagedIdentityCredential);
    expect(azureCredential({ kind: "managedIdentity", clientId: "c" })).toBeInstanceOf(
      ManagedIdentityCredential,
    );
  });

  it("uses the default chain when __credential is unset", () => {
    expect(azureCredential({ kind: "default" })).toBeInstanceOf(DefaultAzureCredential);
  });
});
