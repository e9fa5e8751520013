CREATE TABLE `revoked_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `revoked_tokens_tenant_expires` ON `revoked_tokens` (`tenant_id`,`expires_at`);--> statement-breakpoint
ALTER TABLE `credentials` ADD `tokens_not_before` integer;--> statement-breakpoint
ALTER TABLE `credentials` ADD `tokens_not_before_until` integer;--> statement-breakpoint
CREATE INDEX `credentials_tenant_not_before` ON `credentials` (`tenant_id`,`tokens_not_before_until`);--> statement-breakpoint
UPDATE `resources` SET `scopes` = json_insert(`scopes`, '$[#]', json('{"name":"tokens:introspect","description":"Introspect access tokens of this tenant (RFC 7662)","write":false}')) WHERE `builtin` = 1 AND `uri` = 'urn:latchkey:management' AND NOT EXISTS (SELECT 1 FROM json_each(`resources`.`scopes`) WHERE json_extract(value, '$.name') = 'tokens:introspect');
