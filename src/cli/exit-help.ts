/**
 * Help text shared by every command: the exit code table and the environment variables.
 * Kept in one place so `latchkey --help`, each command's --help and docs/cli.md agree.
 */

/** The exit code table as printed in help. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  error (e.g. wrong server, rate limited, scope or resource refused)
  2  usage error (bad arguments or environment)
  3  credential rejected (invalid_client: revoked, expired, or secret/key retired),
     or a sign-in that ended or was denied (run \`latchkey login\` again)
  4  setup code invalid, expired or already used
  5  network error or server unreachable
  6  refused by the server for your role or scopes (403)`;

/** Environment variables as printed in help. */
export const ENV_HELP = `Environment:
  LATCHKEY_CONFIG_DIR          config directory (default $XDG_CONFIG_HOME/latchkey or ~/.config/latchkey)
  LATCHKEY_PROFILE             profile to use when --profile is not given (default "default")
  LATCHKEY_CLIENT_ID           use this credential instead of a profile; with:
    LATCHKEY_URL               the Latchkey server (issuer) URL
    LATCHKEY_CLIENT_SECRET     the client secret, or
    LATCHKEY_CLIENT_SECRET_FILE  a file holding it, or
    LATCHKEY_PRIVATE_KEY_FILE  a private JWK (JSON, with kid) or PKCS#8 PEM (ES256 or Ed25519), or
    LATCHKEY_FEDERATED         no secret: "github-actions" or "file:PATH" (an OIDC token to exchange)
    LATCHKEY_FEDERATED_AUDIENCE  the audience to ask GitHub for (default LATCHKEY_URL)
  LATCHKEY_SCOPE, LATCHKEY_RESOURCE  defaults for --scope and --resource
  LATCHKEY_TIMEOUT             request timeout in seconds (default 15)`;
