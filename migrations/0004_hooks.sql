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
CREATE INDEX `credential_secrets_hash` ON `credential_secrets` (`secret_hash`);--> statement-breakpoint
UPDATE `resources` SET `scopes` = json_insert(json_insert(`scopes`, '$[#]', json('{"name":"webhooks:read","description":"List webhook endpoints and their deliveries","write":false}')), '$[#]', json('{"name":"webhooks:write","description":"Create, change and delete webhook endpoints and alert settings","write":true}')) WHERE `builtin` = 1 AND `uri` = 'urn:latchkey:management' AND `scopes` NOT LIKE '%"webhooks:read"%';
