CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text,
	`target_id` text,
	`ip` text,
	`user_agent` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_tenant_at` ON `audit_events` (`tenant_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_tenant_target` ON `audit_events` (`tenant_id`,`target_id`,`at`);--> statement-breakpoint
CREATE TABLE `credential_secrets` (
	`id` text PRIMARY KEY NOT NULL,
	`credential_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`hint` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer,
	`retired_at` integer,
	`last_used_at` integer,
	FOREIGN KEY (`credential_id`) REFERENCES `credentials`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credential_secrets_credential` ON `credential_secrets` (`credential_id`);--> statement-breakpoint
CREATE TABLE `credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`label` text NOT NULL,
	`grants` text NOT NULL,
	`groups` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`token_lifetime` integer,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`revoked_by` text,
	`last_used_at` integer,
	`mint_count` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credentials_tenant_active_label` ON `credentials` (`tenant_id`,`label`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `credentials_tenant_created` ON `credentials` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `resources` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`uri` text NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`builtin` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `resources_tenant_uri` ON `resources` (`tenant_id`,`uri`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk_envelope` text NOT NULL,
	`created_at` integer NOT NULL,
	`activates_at` integer NOT NULL,
	`retired_at` integer
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
