# Names, host names and ids only: nothing here is a secret.

output "resource_group_name" {
  description = "Resource group that holds everything."
  value       = azurerm_resource_group.main.name
}

output "function_app_name" {
  description = "Name of the Function App (for az functionapp deployment source config-zip)."
  value       = azurerm_function_app_flex_consumption.main.name
}

output "function_app_default_hostname" {
  description = "Default host name of the Function App; the admin API is https://<this>/api/."
  value       = azurerm_function_app_flex_consumption.main.default_hostname
}

output "eventhub_namespace_fqdn" {
  description = "Fully qualified name of the Event Hubs namespace (what producers and EVENTHUB_CONNECTION__fullyQualifiedNamespace use)."
  value       = local.eventhub_namespace_fqdn
}

output "eventhub_name" {
  description = "The hub IO core publishes to."
  value       = azurerm_eventhub.events.name
}

output "eventhub_consumer_group" {
  description = "The dispatcher's consumer group."
  value       = azurerm_eventhub_consumer_group.dispatcher.name
}

output "identity_client_id" {
  description = "Client id of the app's user-assigned managed identity."
  value       = azurerm_user_assigned_identity.app.client_id
}

output "identity_principal_id" {
  description = "Object (principal) id of the app's user-assigned managed identity."
  value       = azurerm_user_assigned_identity.app.principal_id
}

output "storage_account_name" {
  description = "Storage account of the tables, the Durable task hub and the deployment package."
  value       = azurerm_storage_account.main.name
}

output "durable_task_hub" {
  description = "Durable task hub name of this environment (app setting DURABLE_TASK_HUB)."
  value       = local.durable_task_hub
}

output "key_vault_name" {
  description = "Key Vault that must hold the SECRETS_ENCRYPTION_KEYS secret."
  value       = azurerm_key_vault.main.name
}

output "secrets_encryption_keys_secret_name" {
  description = "Name of the secret the operator sets in the Key Vault (see infra/README.md)."
  value       = var.secrets_encryption_keys_secret_name
}

output "application_insights_name" {
  description = "Application Insights resource the app sends telemetry to."
  value       = azurerm_application_insights.main.name
}
