variable "subscription_id" {
  description = "Azure subscription to deploy into. Null: the provider reads ARM_SUBSCRIPTION_ID."
  type        = string
  default     = null
}

variable "location" {
  description = "Azure region for every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations)."
  type        = string
}

variable "prefix" {
  description = "Short name of the workload, used in every resource name: 2-8 lowercase letters or digits, starting with a letter."
  type        = string
  default     = "ped"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.prefix))
    error_message = "prefix must be 2-8 lowercase letters or digits, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, test, prod, ...): 1-6 lowercase letters or digits. It is part of every resource name and of the Durable task hub name, so two environments never share a task hub."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,6}$", var.environment))
    error_message = "environment must be 1-6 lowercase letters or digits."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

# --- Function App (Flex Consumption) ---

variable "instance_memory_in_mb" {
  description = "Memory of each Flex Consumption instance, in MB. The azurerm docs list 2048 and 4096 as the supported values."
  type        = number
  default     = 2048

  validation {
    condition     = contains([2048, 4096], var.instance_memory_in_mb)
    error_message = "instance_memory_in_mb must be 2048 or 4096."
  }
}

variable "maximum_instance_count" {
  description = "Most instances the app scales out to (all triggers together). At most eventhub_partition_count (a precondition on the hub checks): the Event Hub trigger never uses more instances than the hub has partitions."
  type        = number
  default     = 32

  validation {
    condition     = var.maximum_instance_count >= 1 && var.maximum_instance_count <= 1000 && floor(var.maximum_instance_count) == var.maximum_instance_count
    error_message = "maximum_instance_count must be a whole number from 1 to 1000 (the provider's range for Flex Consumption)."
  }
}

variable "durable_task_hub" {
  description = "Durable Functions task hub name (app setting DURABLE_TASK_HUB). Null: PublicEventDispatcher followed by the environment, so environments never share one. Azure Storage task hubs: 3-45 letters or digits, starting with a letter."
  type        = string
  default     = null

  validation {
    condition     = var.durable_task_hub == null || can(regex("^[A-Za-z][A-Za-z0-9]{2,44}$", var.durable_task_hub))
    error_message = "durable_task_hub must be 3-45 letters or digits, starting with a letter."
  }
}

variable "app_settings" {
  description = "Extra app settings for the dispatcher's tuning (for example RETRY_SCHEDULE, DELIVERY_CHUNK_SIZE, WEBHOOK_CACHE_TTL_SECONDS). They may not override the settings this configuration manages, and may not hold connection strings or keys."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.app_settings :
      !can(regex("(?i)(AccountKey=|SharedAccessKey=|SharedAccessSignature=|InstrumentationKey=)", v))
    ])
    error_message = "app_settings may not hold connection strings, account keys, SAS tokens or instrumentation keys: the app connects with its managed identity."
  }
}

# --- Storage ---

variable "storage_replication_type" {
  description = "Replication of the storage account that holds the tables, the Durable task hub, the Event Hub checkpoints and the deployment package."
  type        = string
  default     = "ZRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "GZRS", "RAGRS", "RAGZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be one of LRS, ZRS, GRS, GZRS, RAGRS, RAGZRS."
  }
}

variable "webhooks_table" {
  description = "WEBHOOKS_TABLE: table of webhooks."
  type        = string
  default     = "Webhooks"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{2,62}$", var.webhooks_table))
    error_message = "Table names are 3-63 letters or digits, starting with a letter."
  }
}

variable "delivery_attempts_table" {
  description = "DELIVERY_ATTEMPTS_TABLE: the delivery log."
  type        = string
  default     = "DeliveryAttempts"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{2,62}$", var.delivery_attempts_table))
    error_message = "Table names are 3-63 letters or digits, starting with a letter."
  }
}

variable "dead_letters_table" {
  description = "DEAD_LETTERS_TABLE: deliveries that ran out of retries or failed permanently."
  type        = string
  default     = "DeadLetters"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{2,62}$", var.dead_letters_table))
    error_message = "Table names are 3-63 letters or digits, starting with a letter."
  }
}

variable "rejected_events_table" {
  description = "REJECTED_EVENTS_TABLE: incoming events that did not decode."
  type        = string
  default     = "RejectedEvents"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{2,62}$", var.rejected_events_table))
    error_message = "Table names are 3-63 letters or digits, starting with a letter."
  }
}

# --- Event Hubs ---

variable "eventhub_sku" {
  description = "Event Hubs namespace tier. Basic has a single consumer group ($Default) and cannot hold the dispatcher's own group."
  type        = string
  default     = "Standard"

  validation {
    condition     = contains(["Standard", "Premium"], var.eventhub_sku)
    error_message = "eventhub_sku must be Standard or Premium (Basic allows no extra consumer group)."
  }
}

variable "eventhub_capacity" {
  description = "Throughput units (Standard) or processing units (Premium) of the namespace."
  type        = number
  default     = 1

  validation {
    condition     = var.eventhub_capacity >= 1 && var.eventhub_capacity <= 40 && floor(var.eventhub_capacity) == var.eventhub_capacity
    error_message = "eventhub_capacity must be a whole number from 1 to 40."
  }
}

variable "eventhub_local_authentication_enabled" {
  description = "Allow SAS keys on the namespace. False: every client (the dispatcher and IO core's producer) must use Microsoft Entra ID."
  type        = bool
  default     = false
}

variable "eventhub_name" {
  description = "EVENTHUB_NAME: the hub IO core publishes to and the dispatcher consumes."
  type        = string
  default     = "io-events"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$", var.eventhub_name))
    error_message = "eventhub_name must be 1-256 letters, digits, '.', '_' or '-', starting with a letter or digit."
  }
}

variable "eventhub_partition_count" {
  # Partitions bound parallel consumption: within one consumer group each partition has exactly one owner
  # (one instance's processor holds its lease in the checkpoint store), so at most this many instances run
  # the Event Hub trigger at once, whatever maximum_instance_count says; the scale controller does not add
  # instances for the trigger beyond it. Order is kept per partition (IO core's partition key is the fiscal
  # code). The count is fixed at creation on Standard (changing it replaces the hub): pick it for the peak.
  description = "Partitions of the hub: the most instances that can consume it in parallel (one owner per partition per consumer group). Standard allows up to 32; changing it replaces the hub."
  type        = number
  default     = 32

  validation {
    condition     = var.eventhub_partition_count >= 1 && var.eventhub_partition_count <= 1024 && floor(var.eventhub_partition_count) == var.eventhub_partition_count
    error_message = "eventhub_partition_count must be a whole number from 1 to 1024 (Standard: at most 32)."
  }
}

variable "eventhub_message_retention_days" {
  description = "How many days the hub keeps events (the dispatcher can replay from them within that window)."
  type        = number
  default     = 7

  validation {
    condition     = var.eventhub_message_retention_days >= 1 && var.eventhub_message_retention_days <= 90
    error_message = "eventhub_message_retention_days must be from 1 to 90 (Standard: at most 7)."
  }
}

variable "eventhub_consumer_group" {
  description = "EVENTHUB_CONSUMER_GROUP: the dispatcher's own consumer group, so it never competes with other readers of the hub."
  type        = string
  default     = "public-event-dispatcher"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$", var.eventhub_consumer_group)) && lower(var.eventhub_consumer_group) != "$default"
    error_message = "eventhub_consumer_group must be 1-50 letters, digits, '.', '_' or '-', and not $Default."
  }
}

variable "eventhub_replay_consumer_group" {
  description = "EVENTHUB_REPLAY_CONSUMER_GROUP: the consumer group replays read the hub in (never the live one: its epoch receivers own every partition there)."
  type        = string
  default     = "public-event-dispatcher-replays"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$", var.eventhub_replay_consumer_group)) && lower(var.eventhub_replay_consumer_group) != "$default" && var.eventhub_replay_consumer_group != var.eventhub_consumer_group
    error_message = "eventhub_replay_consumer_group must be 1-50 letters, digits, '.', '_' or '-', not $Default and not eventhub_consumer_group."
  }
}

variable "eventhub_sender_principal_ids" {
  description = "Object ids of principals (for example IO core's producer identity) granted Azure Event Hubs Data Sender on the hub."
  type        = list(string)
  default     = []
}

# --- Observability ---

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be from 30 to 730."
  }
}

# --- Key Vault (SECRETS_ENCRYPTION_KEYS) ---

variable "secrets_encryption_keys_secret_name" {
  description = "Name of the Key Vault secret that holds SECRETS_ENCRYPTION_KEYS. Terraform does not create it (its value would land in the state): the operator sets it, see infra/README.md."
  type        = string
  default     = "secrets-encryption-keys"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,127}$", var.secrets_encryption_keys_secret_name))
    error_message = "Key Vault secret names are 1-127 letters, digits or '-'."
  }
}

variable "key_vault_purge_protection_enabled" {
  description = "Purge protection on the Key Vault. Recommended for production (losing the encryption keys makes every stored webhook secret unreadable); it can never be turned off again."
  type        = bool
  default     = true
}
