ALTER TABLE `credential_secrets` ADD `pepper_id` text;--> statement-breakpoint
ALTER TABLE `credentials` ADD `changed_at` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `published_at` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `kv_written_at` integer;--> statement-breakpoint
-- Existing credentials: their KV entries were written at their last change, so they start in sync.
UPDATE `credentials` SET `changed_at` = `created_at`, `published_at` = `created_at`, `kv_written_at` = `created_at` WHERE `changed_at` IS NULL;
