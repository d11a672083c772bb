data "azurerm_client_config" "current" {}

locals {
  # A short, stable suffix for the names that must be globally unique (storage account, Key Vault,
  # Function App, Event Hubs namespace): the same inputs always give the same names.
  suffix = substr(sha256("${data.azurerm_client_config.current.subscription_id}/${var.prefix}/${var.environment}"), 0, 6)
  base   = "${var.prefix}-${var.environment}"

  resource_group_name     = "rg-${local.base}"
  storage_account_name    = "st${var.prefix}${var.environment}${local.suffix}" # at most 22 characters
  key_vault_name          = "kv${var.prefix}${var.environment}${local.suffix}" # at most 22 characters
  function_app_name       = "func-${local.base}-${local.suffix}"               # at most 27 characters
  eventhub_namespace_name = "evhns-${local.base}-${local.suffix}"

  # The public cloud's Event Hubs suffix; change it for sovereign clouds.
  eventhub_namespace_fqdn = "${azurerm_eventhub_namespace.main.name}.servicebus.windows.net"

  durable_task_hub = coalesce(var.durable_task_hub, "PublicEventDispatcher${var.environment}")

  tags = merge({ workload = "public-event-dispatcher", environment = var.environment }, var.tags)
}

resource "azurerm_resource_group" "main" {
  name     = local.resource_group_name
  location = var.location
  tags     = local.tags
}

# --- Identity: one user-assigned identity for everything the app reaches ---

resource "azurerm_user_assigned_identity" "app" {
  name                = "id-${local.base}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  tags                = local.tags
}

# --- Storage: tables, Durable task hub (Azure Storage backend), Event Hub checkpoints, deployment package ---

resource "azurerm_storage_account" "main" {
  name                            = local.storage_account_name
  resource_group_name             = azurerm_resource_group.main.name
  location                        = azurerm_resource_group.main.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = var.storage_replication_type
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  shared_access_key_enabled       = false
  allow_nested_items_to_be_public = false
  default_to_oauth_authentication = true
  tags                            = local.tags
}

# The Flex Consumption deployment package lives here (zip deploy uploads to it).
resource "azurerm_storage_container" "deployments" {
  name                  = "app-package"
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# --- Event Hubs ---

resource "azurerm_eventhub_namespace" "main" {
  name                         = local.eventhub_namespace_name
  resource_group_name          = azurerm_resource_group.main.name
  location                     = azurerm_resource_group.main.location
  sku                          = var.eventhub_sku
  capacity                     = var.eventhub_capacity
  local_authentication_enabled = var.eventhub_local_authentication_enabled
  minimum_tls_version          = "1.2"
  tags                         = local.tags
}

resource "azurerm_eventhub" "events" {
  name         = var.eventhub_name
  namespace_id = azurerm_eventhub_namespace.main.id

  # Partitions bound how many instances consume in parallel: within one consumer group each partition has
  # one owner at a time (the instance holding its checkpoint lease), so no more than partition_count
  # instances run the Event Hub trigger, however far maximum_instance_count lets the app scale. Instances
  # beyond that serve HTTP and Durable work only. Order is per partition. See variables.tf.
  partition_count   = var.eventhub_partition_count
  message_retention = var.eventhub_message_retention_days

  lifecycle {
    precondition {
      condition     = var.eventhub_partition_count >= var.maximum_instance_count
      error_message = "eventhub_partition_count must be at least maximum_instance_count: instances beyond the partition count get no partition to consume. Raise the partitions (a new hub) or lower the instances."
    }
  }
}

resource "azurerm_eventhub_consumer_group" "dispatcher" {
  name                = var.eventhub_consumer_group
  namespace_name      = azurerm_eventhub_namespace.main.name
  eventhub_name       = azurerm_eventhub.events.name
  resource_group_name = azurerm_resource_group.main.name
  user_metadata       = "public-event-dispatcher"
}

# Replays from the Event Hub read in a group of their own: the live trigger's epoch receivers own every partition
# of its group, and a group allows 5 readers per partition (so a few replays at once).
resource "azurerm_eventhub_consumer_group" "replays" {
  name                = var.eventhub_replay_consumer_group
  namespace_name      = azurerm_eventhub_namespace.main.name
  eventhub_name       = azurerm_eventhub.events.name
  resource_group_name = azurerm_resource_group.main.name
  user_metadata       = "public-event-dispatcher replays"
}

# --- Observability: workspace-based Application Insights, Entra ID ingestion only ---

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.base}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

resource "azurerm_application_insights" "main" {
  name                          = "appi-${local.base}"
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  workspace_id                  = azurerm_log_analytics_workspace.main.id
  application_type              = "Node.JS"
  local_authentication_disabled = true
  tags                          = local.tags
}

# --- Key Vault: holds SECRETS_ENCRYPTION_KEYS, read by the app through a Key Vault reference ---

resource "azurerm_key_vault" "main" {
  name                       = local.key_vault_name
  resource_group_name        = azurerm_resource_group.main.name
  location                   = azurerm_resource_group.main.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  enable_rbac_authorization  = true
  purge_protection_enabled   = var.key_vault_purge_protection_enabled
  soft_delete_retention_days = 90
  tags                       = local.tags
}

# The secret itself is not a Terraform resource: its value would be stored in the Terraform state (and
# read back into it on every refresh). The operator sets it once with the Azure CLI (infra/README.md);
# until then the reference does not resolve and the app refuses to start, naming SECRETS_ENCRYPTION_KEYS.

# --- Role assignments of the app's identity ---

locals {
  app_role_assignments = {
    storage_blob = {
      scope = azurerm_storage_account.main.id
      role  = "Storage Blob Data Owner"
    }
    storage_queue = {
      scope = azurerm_storage_account.main.id
      role  = "Storage Queue Data Contributor"
    }
    storage_table = {
      scope = azurerm_storage_account.main.id
      role  = "Storage Table Data Contributor"
    }
    eventhub_receiver = {
      scope = azurerm_eventhub.events.id
      role  = "Azure Event Hubs Data Receiver"
    }
    monitoring_publisher = {
      scope = azurerm_application_insights.main.id
      role  = "Monitoring Metrics Publisher"
    }
    key_vault_secrets = {
      scope = azurerm_key_vault.main.id
      role  = "Key Vault Secrets User"
    }
  }
}

resource "azurerm_role_assignment" "app" {
  for_each = local.app_role_assignments

  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# IO core's producer (or any other publisher) sends with Entra ID too when SAS keys are off.
resource "azurerm_role_assignment" "eventhub_sender" {
  for_each = toset(var.eventhub_sender_principal_ids)

  scope                = azurerm_eventhub.events.id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = each.value
}

# --- Function App on Flex Consumption ---

resource "azurerm_service_plan" "main" {
  name                = "asp-${local.base}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = local.tags
}

locals {
  # Every value here is a name, an id or a reference: no connection string, key or SAS.
  managed_app_settings = {
    # Functions host storage (and the app's tables): identity-based connection.
    "AzureWebJobsStorage__accountName" = azurerm_storage_account.main.name
    "AzureWebJobsStorage__credential"  = "managedidentity"
    "AzureWebJobsStorage__clientId"    = azurerm_user_assigned_identity.app.client_id

    # The Event Hub trigger's connection (register.ts: connection "EVENTHUB_CONNECTION").
    "EVENTHUB_CONNECTION__fullyQualifiedNamespace" = local.eventhub_namespace_fqdn
    "EVENTHUB_CONNECTION__credential"              = "managedidentity"
    "EVENTHUB_CONNECTION__clientId"                = azurerm_user_assigned_identity.app.client_id
    "EVENTHUB_NAME"                                = azurerm_eventhub.events.name
    "EVENTHUB_CONSUMER_GROUP"                      = azurerm_eventhub_consumer_group.dispatcher.name
    "EVENTHUB_REPLAY_CONSUMER_GROUP"               = azurerm_eventhub_consumer_group.replays.name
    # The purge of finished orchestrations (ORCHESTRATION_HISTORY_RETENTION_DAYS, default 7) must not be shorter:
    # the app refuses to start otherwise (README, "Storage growth"). Above 7 days, set the purge age in app_settings.
    "EVENTHUB_RETENTION_DAYS" = tostring(var.eventhub_message_retention_days)

    # Read by host.json as "%DURABLE_TASK_HUB%".
    "DURABLE_TASK_HUB" = local.durable_task_hub

    "SECRETS_ENCRYPTION_KEYS" = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.main.name};SecretName=${var.secrets_encryption_keys_secret_name})"

    "WEBHOOKS_TABLE"          = var.webhooks_table
    "DELIVERY_ATTEMPTS_TABLE" = var.delivery_attempts_table
    "DEAD_LETTERS_TABLE"      = var.dead_letters_table
    "REJECTED_EVENTS_TABLE"   = var.rejected_events_table

    "ALLOW_INSECURE_WEBHOOKS"       = "false"
    "ALLOW_PRIVATE_NETWORK_TARGETS" = "false"

    # Application Insights with local auth off: telemetry is sent with the identity's Entra ID token.
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
  }
}

resource "azurerm_function_app_flex_consumption" "main" {
  name                = local.function_app_name
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  service_plan_id     = azurerm_service_plan.main.id

  # Deployment package: a blob container in the app's storage account, reached with the identity.
  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.main.primary_blob_endpoint}${azurerm_storage_container.deployments.name}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = azurerm_user_assigned_identity.app.id

  runtime_name           = "node"
  runtime_version        = "20"
  instance_memory_in_mb  = var.instance_memory_in_mb
  maximum_instance_count = var.maximum_instance_count

  # Deploy with Entra ID (az functionapp deployment source config-zip), not publishing credentials.
  webdeploy_publish_basic_authentication_enabled = false

  # The user-assigned identity does all the work. The system-assigned one is there only because App Service
  # resolves Key Vault references with the system identity unless keyVaultReferenceIdentity says otherwise,
  # and this resource has no argument for that in the provider versions checked (see infra/README.md).
  identity {
    type         = "SystemAssigned, UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  site_config {
    # The connection string names the resource and its ingestion endpoint; with local auth off it is not
    # a credential (ingestion needs the Entra ID token above). The provider writes it to
    # APPLICATIONINSIGHTS_CONNECTION_STRING.
    application_insights_connection_string = azurerm_application_insights.main.connection_string
  }

  app_settings = merge(var.app_settings, local.managed_app_settings)

  tags = local.tags

  lifecycle {
    precondition {
      condition     = length(setintersection(keys(var.app_settings), keys(local.managed_app_settings))) == 0
      error_message = "var.app_settings may not override a setting this configuration manages (identity connections, hub, task hub, tables, Key Vault reference)."
    }
  }

  # The identity needs its roles before the host starts (storage for the host, Event Hubs for the trigger).
  depends_on = [azurerm_role_assignment.app]
}

# Key Vault references (SECRETS_ENCRYPTION_KEYS) are resolved with the app's system-assigned identity.
resource "azurerm_role_assignment" "key_vault_reference" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}
