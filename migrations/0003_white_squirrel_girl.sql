ALTER TABLE `credentials` ADD `changed_at` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `published_at` integer;