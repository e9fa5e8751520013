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
CREATE TABLE `guardrail_alerts` (
	`credential_id` text NOT NULL,
	`alert_key` text NOT NULL,
	`tenant_id` text NOT NULL,
	`window_start` integer NOT NULL,
	PRIMARY KEY(`credential_id`, `alert_key`)
);
--> statement-breakpoint
ALTER TABLE `credentials` ADD `network_policy` text;--> statement-breakpoint
ALTER TABLE `credentials` ADD `quota_policy` text;--> statement-breakpoint
ALTER TABLE `credentials` ADD `caching_flagged_at` integer;