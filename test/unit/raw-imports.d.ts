/** Vite's `?raw` imports: the file's text, for tests that read configuration (wrangler.toml). */
declare module "*?raw" {
  const text: string;
  export default text;
}
