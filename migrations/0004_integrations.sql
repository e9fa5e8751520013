CREATE TABLE `credential_mint_hours` (
	`credential_id` text NOT NULL,
	`hour_start` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`mint_count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`credential_id`, `hour_start`)
);
--> statement-breakpoint
CREATE INDEX `credential_mint_hours_hour` ON `credential_mint_hours` (`hour_start`);--> statement-breakpoint
CREATE TABLE `credential_sources` (
	`credential_id` text NOT NULL,
	`source` text NOT NULL,
	`tenant_id` text NOT NULL,
	`address` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`mint_count` integer DEFAULT 0 NOT NULL,
	`last_denied_at` integer,
	PRIMARY KEY(`credential_id`, `source`)
);
--> statement-breakpoint
CREATE INDEX `credential_sources_credential_seen` ON `credential_sources` (`credential_id`,`last_seen_at`);--> statement-breakpoint
CREATE TABLE `federated_identities` (
	`id` text PRIMARY KEY NOT NULL,
	`credential_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`preset` text NOT NULL,
	`issuer` text NOT NULL,
	`audience` text NOT NULL,
	`subject` text,
	`claims` text NOT NULL,
	`max_token_lifetime` integer,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`deleted_at` integer,
	`last_used_at` integer,
	`last_subject` text,
	FOREIGN KEY (`credential_id`) REFERENCES `credentials`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `federated_identities_credential` ON `federated_identities` (`credential_id`);--> statement-breakpoint
CREATE TABLE `guardrail_alerts` (
	`credential_id` text NOT NULL,
	`alert_key` text NOT NULL,
	`tenant_id` text NOT NULL,
	`window_start` integer NOT NULL,
	PRIMARY KEY(`credential_id`, `alert_key`)
);
--> statement-breakpoint
CREATE TABLE `revoked_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `revoked_tokens_tenant_expires` ON `revoked_tokens` (`tenant_id`,`expires_at`);--> statement-breakpoint
CREATE TABLE `tenant_alert_settings` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`leaked_secret_action` text DEFAULT 'retire' NOT NULL,
	`stale_after_days` integer DEFAULT 30 NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `webhook_dead_letters` (
	`delivery_id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`next_attempt_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_created` ON `webhook_deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text NOT NULL,
	`event_types` text NOT NULL,
	`secret_envelope` text NOT NULL,
	`secret_hint` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_tenant` ON `webhook_endpoints` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `webhook_notices` (
	`key` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `device_authorizations` (
	`id` text PRIMARY KEY NOT NULL,
	`device_code_hash` text NOT NULL,
	`user_code_hash` text NOT NULL,
	`client_id` text NOT NULL,
	`hostname` text,
	`request_ip` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`interval_seconds` integer NOT NULL,
	`last_polled_at` integer,
	`tenant_id` text,
	`user_id` text,
	`decided_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `device_authorizations_device_code` ON `device_authorizations` (`device_code_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `device_authorizations_user_code` ON `device_authorizations` (`user_code_hash`);--> statement-breakpoint
CREATE INDEX `device_authorizations_expires` ON `device_authorizations` (`expires_at`);--> statement-breakpoint
CREATE TABLE `device_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`client_id` text NOT NULL,
	`hostname` text,
	`ip` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `device_sessions_tenant_user` ON `device_sessions` (`tenant_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `user_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `memberships_user` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `device_sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_session` ON `refresh_tokens` (`session_id`);--> statement-breakpoint
ALTER TABLE `credentials` ADD `tokens_not_before` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `tokens_not_before_until` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `network_policy` text;--> statement-breakpoint
ALTER TABLE `credentials` ADD `quota_policy` text;--> statement-breakpoint
ALTER TABLE `credentials` ADD `caching_flagged_at` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `require_dpop` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `credentials_tenant_not_before` ON `credentials` (`tenant_id`,`tokens_not_before_until`);--> statement-breakpoint
ALTER TABLE `signing_keys` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX `signing_keys_tenant_activates` ON `signing_keys` (`tenant_id`,`activates_at`);--> statement-breakpoint
CREATE INDEX `credential_secrets_hash` ON `credential_secrets` (`secret_hash`);
--> statement-breakpoint
UPDATE `resources` SET `scopes` = json_insert(json_insert(`scopes`, '$[#]', json('{"name":"webhooks:read","description":"List webhook endpoints and their deliveries","write":false}')), '$[#]', json('{"name":"webhooks:write","description":"Create, change and delete webhook endpoints and alert settings","write":true}')) WHERE `builtin` = 1 AND `uri` = 'urn:latchkey:management' AND `scopes` NOT LIKE '%"webhooks:read"%';
--> statement-breakpoint
UPDATE `resources` SET `scopes` = json_insert(`scopes`, '$[#]', json('{"name":"tokens:introspect","description":"Introspect access tokens of this tenant (RFC 7662)","write":false}')) WHERE `builtin` = 1 AND `uri` = 'urn:latchkey:management' AND NOT EXISTS (SELECT 1 FROM json_each(`resources`.`scopes`) WHERE json_extract(value, '$.name') = 'tokens:introspect');
