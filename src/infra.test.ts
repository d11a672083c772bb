import * as E from "fp-ts/Either";

import { requiredPlainSettings } from "./config";
import { decodeEventHubsConnection, decodeStorageConnection } from "./connectionSettings";
import { type Block, infraFiles, parseTerraform, resource, type Terraform } from "./test-support/terraform";

/**
 * The infrastructure's policy, checked offline on infra/*.tf as HashiCorp's HCL parser reads them (no terraform
 * binary, no Azure). Each policy is a function from the parsed module to its violations: the real files must have
 * none, and each policy is also run on a copy of the files with one change that breaks it, which it must report
 * (so none of these checks passes vacuously).
 */

type Policy = (tf: Terraform) => ReadonlyArray<string>;

const appSettings = (tf: Terraform): Record<string, unknown> =>
  (tf.locals.managed_app_settings ?? {}) as Record<string, unknown>;

const functionApp = (tf: Terraform): Block => resource(tf, "azurerm_function_app_flex_consumption", "main");

/** Something that reads or names a key, a SAS or a connection string (an expression or a literal). */
const SECRET_LIKE =
  /AccountKey=|SharedAccessKey|SharedAccessSignature|\bsig=|connection_string|primary_key|secondary_key|access_key|instrumentation_key|default_primary|listKeys/i;

const noSecretsInAppSettings: Policy = (tf) => {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(appSettings(tf))) {
    if (SECRET_LIKE.test(String(value)) || /ConnectionString$|_KEY$|AccountKey/i.test(key))
      problems.push(`app setting ${key} holds or reads a key or connection string`);
  }
  // The plain connection-string forms must not be set at all: the identity forms are.
  for (const key of ["AzureWebJobsStorage", "EVENTHUB_CONNECTION"])
    if (key in appSettings(tf)) problems.push(`app setting ${key} is a connection string setting`);
  // The app's settings are the managed ones merged over the variable (which has its own validation).
  if (!String(functionApp(tf).app_settings).includes("local.managed_app_settings"))
    problems.push("the Function App's app_settings do not come from local.managed_app_settings");
  return problems;
};

const CLIENT_ID = "${azurerm_user_assigned_identity.app.client_id}";

const identitySettings: Policy = (tf) => {
  const s = appSettings(tf);
  const problems: string[] = [];
  const expect = (key: string, ok: (value: unknown) => boolean, what: string): void => {
    if (!ok(s[key])) problems.push(`${key} must be ${what}`);
  };
  const isSet = (v: unknown): boolean => typeof v === "string" && v !== "";
  if (!isSet(s.AzureWebJobsStorage__accountName) && !isSet(s.AzureWebJobsStorage__tableServiceUri))
    problems.push("AzureWebJobsStorage__accountName (or the service URIs) must be set");
  for (const prefix of ["AzureWebJobsStorage", "EVENTHUB_CONNECTION"]) {
    expect(`${prefix}__credential`, (v) => v === "managedidentity", '"managedidentity"');
    expect(`${prefix}__clientId`, (v) => v === CLIENT_ID, "the user-assigned identity's client id");
  }
  expect("EVENTHUB_CONNECTION__fullyQualifiedNamespace", isSet, "set");
  expect(
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    (v) => typeof v === "string" && /Authorization=AAD/.test(v) && v.includes(`ClientId=${CLIENT_ID}`),
    "Authorization=AAD with the identity's client id",
  );
  // The app decodes them as the identity forms (values: the literals, and a stand-in for each expression).
  const env = Object.fromEntries(
    Object.entries(s).map(([k, v]) => [
      k,
      typeof v === "string" && v.includes("${") ? "placeholder0" : String(v),
    ]),
  );
  const storage = decodeStorageConnection(env);
  if (
    !E.isRight(storage) ||
    storage.right.kind !== "identity" ||
    storage.right.credential.kind !== "managedIdentity"
  )
    problems.push("the app does not decode AzureWebJobsStorage as a managed-identity connection");
  const hubs = decodeEventHubsConnection(env);
  if (!E.isRight(hubs) || hubs.right.kind !== "identity")
    problems.push("the app does not decode EVENTHUB_CONNECTION as an identity connection");
  return problems;
};

/** The roles the app's identity needs, and the scope each must be granted on. */
const REQUIRED_ROLES: ReadonlyArray<readonly [role: string, scope: string]> = [
  ["Storage Blob Data Owner", "${azurerm_storage_account.main.id}"],
  ["Storage Queue Data Contributor", "${azurerm_storage_account.main.id}"],
  ["Storage Table Data Contributor", "${azurerm_storage_account.main.id}"],
  ["Azure Event Hubs Data Receiver", "${azurerm_eventhub.events.id}"],
  ["Monitoring Metrics Publisher", "${azurerm_application_insights.main.id}"],
];

const roleAssignments: Policy = (tf) => {
  const problems: string[] = [];
  const assignment = resource(tf, "azurerm_role_assignment", "app");
  if (assignment.principal_id !== "${azurerm_user_assigned_identity.app.principal_id}")
    problems.push("azurerm_role_assignment.app is not for the user-assigned identity");
  if (assignment.for_each !== "${local.app_role_assignments}" || assignment.scope !== "${each.value.scope}")
    problems.push("azurerm_role_assignment.app does not assign local.app_role_assignments");
  const granted = Object.values((tf.locals.app_role_assignments ?? {}) as Record<string, Block>).map(
    (r) => [String(r.role), String(r.scope)] as const,
  );
  for (const [role, scope] of REQUIRED_ROLES)
    if (!granted.some(([r, s]) => r === role && s === scope))
      problems.push(`missing role ${role} on ${scope}`);
  return problems;
};

const localAuthOff: Policy = (tf) => {
  const problems: string[] = [];
  if (resource(tf, "azurerm_storage_account", "main").shared_access_key_enabled !== false)
    problems.push("storage account: shared_access_key_enabled must be false");
  if (resource(tf, "azurerm_application_insights", "main").local_authentication_disabled !== true)
    problems.push("Application Insights: local_authentication_disabled must be true");
  const namespace = resource(tf, "azurerm_eventhub_namespace", "main");
  const sas = namespace.local_authentication_enabled;
  const sasDefault =
    sas === "${var.eventhub_local_authentication_enabled}"
      ? tf.variable.eventhub_local_authentication_enabled?.[0]?.default
      : sas;
  if (sasDefault !== false)
    problems.push("Event Hubs namespace: SAS (local authentication) must be off by default");
  return problems;
};

const variableDefault = (tf: Terraform, name: string): unknown => tf.variable[name]?.[0]?.default;

const partitionsBoundInstances: Policy = (tf) => {
  const problems: string[] = [];
  const hub = resource(tf, "azurerm_eventhub", "events");
  const app = functionApp(tf);
  if (hub.partition_count !== "${var.eventhub_partition_count}")
    problems.push("the hub's partition_count is not var.eventhub_partition_count");
  if (app.maximum_instance_count !== "${var.maximum_instance_count}")
    problems.push("the app's maximum_instance_count is not var.maximum_instance_count");
  const partitions = Number(variableDefault(tf, "eventhub_partition_count"));
  const instances = Number(variableDefault(tf, "maximum_instance_count"));
  if (!(partitions >= instances))
    problems.push(`default partitions (${partitions}) below default maximum instances (${instances})`);
  const preconditions = ((hub.lifecycle as Block[] | undefined) ?? []).flatMap(
    (l) => (l.precondition as Block[] | undefined) ?? [],
  );
  const checked = preconditions.some((p) =>
    /var\.eventhub_partition_count\s*>=\s*var\.maximum_instance_count/.test(String(p.condition)),
  );
  if (!checked) problems.push("no precondition keeps eventhub_partition_count >= maximum_instance_count");
  return problems;
};

const variablesDescribed: Policy = (tf) =>
  Object.entries(tf.variable).flatMap(([name, [block]]) => {
    const problems: string[] = [];
    if (typeof block?.description !== "string" || block.description.trim().length < 10)
      problems.push(`variable ${name} has no description`);
    // Numbers get a range; every number here is a count, a size or a period.
    if (block?.type === "${number}" && !Array.isArray(block.validation))
      problems.push(`variable ${name} (a number) has no validation`);
    return problems;
  });

const outputsNotSecret: Policy = (tf) =>
  Object.entries(tf.output).flatMap(([name, [block]]) => {
    const value = JSON.stringify(block?.value ?? "");
    return SECRET_LIKE.test(value) || block?.sensitive === true || /secret_value|\.value\b/.test(value)
      ? [`output ${name} exposes a secret (${value})`]
      : [];
  });

const coversRequiredSettings: Policy = (tf) => {
  const settings = appSettings(tf);
  return requiredPlainSettings()
    .filter((key) => !(key in settings))
    .map((key) => `the app requires ${key} but the Function App does not set it`);
};

const POLICIES: Record<string, Policy> = {
  noSecretsInAppSettings,
  identitySettings,
  roleAssignments,
  localAuthOff,
  partitionsBoundInstances,
  variablesDescribed,
  outputsNotSecret,
  coversRequiredSettings,
};

/** One change to one file that breaks a policy, and the violation it must produce. */
interface Mutation {
  readonly file: string;
  readonly from: string | RegExp;
  readonly to: string;
  readonly violation: RegExp;
}

const MUTATIONS: Record<keyof typeof POLICIES, ReadonlyArray<Mutation>> = {
  noSecretsInAppSettings: [
    {
      file: "main.tf",
      from: '"DURABLE_TASK_HUB" = local.durable_task_hub',
      to: '"DURABLE_TASK_HUB" = local.durable_task_hub\n    "AzureWebJobsStorage" = azurerm_storage_account.main.primary_connection_string',
      violation: /AzureWebJobsStorage holds or reads a key|AzureWebJobsStorage is a connection string/,
    },
    {
      file: "main.tf",
      from: '"DURABLE_TASK_HUB" = local.durable_task_hub',
      to: '"DURABLE_TASK_HUB" = local.durable_task_hub\n    "TABLES_KEY" = azurerm_storage_account.main.primary_access_key',
      violation: /TABLES_KEY holds or reads a key/,
    },
  ],
  identitySettings: [
    {
      file: "main.tf",
      from: /"AzureWebJobsStorage__credential"\s*=\s*"managedidentity"/,
      to: '"AzureWebJobsStorage__credential" = "none"',
      violation: /AzureWebJobsStorage__credential must be/,
    },
    {
      file: "main.tf",
      from: /"EVENTHUB_CONNECTION__clientId"\s*=\s*azurerm_user_assigned_identity\.app\.client_id/,
      to: "",
      violation: /EVENTHUB_CONNECTION__clientId must be/,
    },
    {
      file: "main.tf",
      from: /"EVENTHUB_CONNECTION__fullyQualifiedNamespace"\s*=\s*local\.eventhub_namespace_fqdn/,
      to: "",
      violation: /EVENTHUB_CONNECTION__fullyQualifiedNamespace must be set/,
    },
    {
      file: "main.tf",
      from: /"AzureWebJobsStorage__accountName"\s*=\s*azurerm_storage_account\.main\.name/,
      to: "",
      violation: /AzureWebJobsStorage__accountName \(or the service URIs\) must be set/,
    },
  ],
  roleAssignments: [
    {
      file: "main.tf",
      from: '"Storage Queue Data Contributor"',
      to: '"Storage Queue Data Reader"',
      violation: /missing role Storage Queue Data Contributor/,
    },
    {
      file: "main.tf",
      from: /(eventhub_receiver = \{\s*\n\s*scope\s*=\s*)azurerm_eventhub\.events\.id/,
      to: "$1azurerm_eventhub_namespace.main.id",
      violation: /missing role Azure Event Hubs Data Receiver on \$\{azurerm_eventhub\.events\.id\}/,
    },
    {
      file: "main.tf",
      from: '"Monitoring Metrics Publisher"',
      to: '"Monitoring Reader"',
      violation: /missing role Monitoring Metrics Publisher/,
    },
  ],
  localAuthOff: [
    {
      file: "main.tf",
      from: /shared_access_key_enabled\s*=\s*false/,
      to: "shared_access_key_enabled = true",
      violation: /shared_access_key_enabled must be false/,
    },
    {
      file: "main.tf",
      from: /local_authentication_disabled\s*=\s*true/,
      to: "local_authentication_disabled = false",
      violation: /local_authentication_disabled must be true/,
    },
  ],
  partitionsBoundInstances: [
    {
      file: "variables.tf",
      from: /(?<head>variable "maximum_instance_count"[\s\S]*?default\s*=\s*)32/,
      to: "$<head>100",
      violation: /below default maximum instances \(100\)/,
    },
    {
      file: "main.tf",
      from: /condition\s*=\s*var\.eventhub_partition_count >= var\.maximum_instance_count/,
      to: "condition = true",
      violation: /no precondition keeps/,
    },
  ],
  variablesDescribed: [
    {
      file: "variables.tf",
      from: /(variable "eventhub_capacity" \{\s*\n)\s*description\s*=\s*"[^"]*"\n/,
      to: "$1",
      violation: /variable eventhub_capacity has no description/,
    },
    {
      file: "variables.tf",
      from: /(variable "log_retention_days" \{[\s\S]*?)\n\s*validation \{[\s\S]*?\n {2}\}\n/,
      to: "$1\n",
      violation: /variable log_retention_days \(a number\) has no validation/,
    },
  ],
  outputsNotSecret: [
    {
      file: "outputs.tf",
      from: /value\s*=\s*azurerm_application_insights\.main\.name/,
      to: "value = azurerm_application_insights.main.connection_string",
      violation: /output application_insights_name exposes a secret/,
    },
  ],
  coversRequiredSettings: [
    {
      file: "main.tf",
      from: /\n\s*"SECRETS_ENCRYPTION_KEYS"\s*=\s*"@Microsoft\.KeyVault[^\n]*/,
      to: "",
      violation: /the app requires SECRETS_ENCRYPTION_KEYS/,
    },
  ],
};

const mutate = (files: Record<string, string>, mutation: Mutation): Record<string, string> => {
  const text = files[mutation.file];
  if (text === undefined) throw new Error(`no infra/${mutation.file}`);
  const changed = text.replace(mutation.from, mutation.to);
  if (changed === text)
    throw new Error(`mutation ${String(mutation.from)} matched nothing in ${mutation.file}`);
  return { ...files, [mutation.file]: changed };
};

describe("infra/ policy (HCL parsed offline with @cdktf/hcl2json)", () => {
  const files = infraFiles();
  let tf: Terraform;

  beforeAll(async () => {
    tf = await parseTerraform(files);
  });

  it("parses every .tf file", () => {
    expect(Object.keys(files)).toEqual(expect.arrayContaining(["main.tf", "outputs.tf", "variables.tf"]));
    expect(Object.keys(tf.resource)).toContain("azurerm_function_app_flex_consumption");
  });

  it("derives the app's required settings from the config codec (not a copied list)", () => {
    // The settings without a default; the connections are checked by their own decoders (identitySettings).
    expect(requiredPlainSettings()).toEqual(["SECRETS_ENCRYPTION_KEYS"]);
  });

  describe.each(Object.keys(POLICIES))("%s", (name) => {
    const policy = POLICIES[name]!;

    it("holds for infra/", () => {
      expect(policy(tf)).toEqual([]);
    });

    it.each(MUTATIONS[name]!.map((m) => [String(m.violation), m] as const))(
      "reports a copy of infra/ that breaks it: %s",
      async (_label, mutation) => {
        const broken = await parseTerraform(mutate(files, mutation));
        const problems = policy(broken);
        expect(problems.some((p) => mutation.violation.test(p))).toBe(true);
      },
    );
  });
});
