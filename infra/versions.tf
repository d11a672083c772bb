terraform {
  # 1.5+ for `check` blocks and validation that refers to the variable itself.
  required_version = ">= 1.5.0"

  required_providers {
    azurerm = {
      # azurerm_function_app_flex_consumption first shipped in 4.21; stay below 5.0, which removes
      # arguments used here (for example azurerm_key_vault.enable_rbac_authorization).
      source  = "hashicorp/azurerm"
      version = "~> 4.21"
    }
  }
}

provider "azurerm" {
  features {}

  # Required by azurerm 4.x (or set ARM_SUBSCRIPTION_ID and leave the variable null).
  subscription_id = var.subscription_id

  # The storage account has shared-key access off: the provider must use Microsoft Entra ID
  # for any storage data-plane call it makes, never the account key.
  storage_use_azuread = true
}
