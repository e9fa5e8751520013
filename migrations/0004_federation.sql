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
CREATE INDEX `federated_identities_credential` ON `federated_identities` (`credential_id`);