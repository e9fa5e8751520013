#!/usr/bin/env node
/**
 * Entry point of the `latchkey` executable (bundled to dist/cli.mjs with a node shebang).
 * Sets the exit code instead of calling process.exit so stdout is flushed when piped. A reader that closes
 * the pipe early (`latchkey credentials list | head -3`) ends the output quietly, as Unix tools do.
 */
import { main } from "./main.js";
import { processIo } from "./io.js";

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2), processIo());
