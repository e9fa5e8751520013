/**
 * Text from a server is printed only after this: control characters (C0, DEL, C1, so no ANSI escape
 * sequences, OSC title or hyperlink tricks, carriage returns that overwrite a line) and bidirectional
 * overrides are removed, so a hostile or broken server cannot drive the user's terminal or fake output.
 */

const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without any control character, on one line. */
export function printable(text: string): string {
  return text.replace(CONTROLS, "");
}

/** `text` without control characters except newlines: for the CLI's own multi-line messages. */
export function printableLines(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, "");
}
