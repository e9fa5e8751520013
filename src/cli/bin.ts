#!/usr/bin/env node
/**
 * Entry point of the `latchkey` executable (bundled to dist/cli.mjs with a node shebang).
 * Sets the exit code instead of calling process.exit so stdout is flushed when piped.
 */
import { main } from "./main.js";
import { processIo } from "./io.js";

process.exitCode = await main(process.argv.slice(2), processIo());
