/**
 * The one structured logger: one JSON line per event, `{event, ...fields}`, to Workers Logs in production.
 * Event names are a catalog (LOG_EVENTS) with the level each is logged at: logs are an interface for
 * operators, so a name changes only here. Fields are chosen by the caller and must never hold a secret, a
 * setup code or a whole token (a jti, a client_id or a hash prefix is enough). Tests swap the sink.
 */

/** Every event Latchkey logs, with its level. */
export const LOG_EVENTS = {
  token_minted: "info",
  oauth_error: "info",
  setup_code_refused: "info",
  setup_code_release_failed: "info",
  publish_change_retried: "info",
  secret_hash_renewed: "info",
  maintenance: "info",
  revocation_sync: "info",
  key_rotation_status: "info",
  webhook_delivered: "info",
  webhook_attempt_failed: "info",
  secret_scanning_report: "info",
  secret_scanning_refused: "info",
  webhook_secret_reseal: "info",
  token_revoked: "info",
  token_revocation_prune: "info",
  webhook_event_queued: "info",
  guardrail_alert: "info",
  caching_health: "info",
  storage_unavailable: "error",
  unhandled_error: "error",
  setup_redeem_failed: "error",
  audit_replay_failed: "error",
  setup_code_cancel_failed: "error",
  publish_change_failed: "error",
  detail_read_failed: "error",
  password_hash_unsupported: "error",
  usage_flush_failed: "error",
  secret_hash_renew_failed: "error",
  signing_key_reseal_failed: "error",
  maintenance_failed: "error",
  key_rotation_step_failed: "error",
  revocation_sync_failed: "error",
  session_prune_failed: "error",
  webhook_queue_failed: "error",
  webhook_dead_lettered: "error",
  webhook_notice_step_failed: "error",
  token_revocation_prune_failed: "error",
  person_token_minted: "info",
  refresh_token_reused: "info",
  dpop_proof_refused: "info",
  device_prune_failed: "error",
  guardrail_alert_failed: "error",
  quota_refresh_failed: "error",
  caching_health_failed: "error",
} as const satisfies Record<string, LogLevel>;

export type LogLevel = "info" | "error";
export type LogEvent = keyof typeof LOG_EVENTS;
type EventAt<L extends LogLevel> = { [E in LogEvent]: (typeof LOG_EVENTS)[E] extends L ? E : never }[LogEvent];
/** The events logged at info level; `log.info` accepts no other. */
export type InfoEvent = EventAt<"info">;
/** The events logged at error level; `log.error` accepts no other. */
export type ErrorEvent = EventAt<"error">;
export type LogFields = Record<string, unknown>;
export type LogSink = (level: LogLevel, line: string) => void;

export interface Logger {
  info(event: InfoEvent, fields?: LogFields): void;
  error(event: ErrorEvent, fields?: LogFields): void;
}

const consoleSink: LogSink = (level, line) => (level === "error" ? console.error(line) : console.log(line));
let sink: LogSink = consoleSink;

// The line is spliced rather than stringified from `{event, ...fields}`: the same bytes without copying the
// fields into a new object on every mint. Event names are catalogued identifiers, so they need no escaping.
function emit(level: LogLevel, event: LogEvent, fields?: LogFields): void {
  const rest = fields === undefined ? "}" : JSON.stringify(fields);
  sink(level, rest.length > 2 ? `{"event":"${event}",${rest.slice(1)}` : `{"event":"${event}"}`);
}

export const log: Logger = {
  info: (event, fields) => emit("info", event, fields),
  error: (event, fields) => emit("error", event, fields),
};

/** Replaces the sink (tests); without an argument restores the console. */
export function setLogSink(next: LogSink = consoleSink): void {
  sink = next;
}
