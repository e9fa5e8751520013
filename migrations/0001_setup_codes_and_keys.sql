CREATE TABLE `credential_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`credential_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`thumbprint` text NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer,
	`retired_at` integer,
	`last_used_at` integer,
	FOREIGN KEY (`credential_id`) REFERENCES `credentials`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credential_keys_credential` ON `credential_keys` (`credential_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `credential_keys_credential_thumbprint` ON `credential_keys` (`credential_id`,`thumbprint`);--> statement-breakpoint
CREATE TABLE `setup_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`credential_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer NOT NULL,
	`cancelled_at` integer,
	`claimed_at` integer,
	`claimed_ip` text,
	`claimed_hostname` text,
	`mode` text,
	`key_thumbprint` text,
	`provisioned_id` text,
	FOREIGN KEY (`credential_id`) REFERENCES `credentials`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `setup_codes_credential_created` ON `setup_codes` (`credential_id`,`created_at`);