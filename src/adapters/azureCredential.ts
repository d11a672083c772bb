import type { TokenCredential } from "@azure/identity";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";

import type { IdentityCredential } from "../connectionSettings";

export type CredentialFactory = (credential: IdentityCredential) => TokenCredential;

/**
 * The token credential of an identity-based connection. `__credential=managedidentity`: the managed identity, the
 * user-assigned one when `__clientId` is set. Unset: DefaultAzureCredential, which in Azure ends at the same
 * system-assigned managed identity the host uses by default, and on a developer's machine uses their `az login`.
 * Constructing one contacts nothing; the first getToken does.
 */
export const azureCredential: CredentialFactory = (credential) => {
  switch (credential.kind) {
    case "managedIdentity":
      return credential.clientId === undefined
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId: credential.clientId });
    case "default":
      return new DefaultAzureCredential();
    default: {
      const unknown: never = credential;
      throw new Error(`unknown credential ${JSON.stringify(unknown)}`);
    }
  }
};
