/**
 * Shared-hosting bases the Public Suffix List does not name (checked against
 * the list this build ships: test/core/origin-patterns.test.ts fails when one
 * of them becomes a public suffix, and the entry can go). Anyone can get a
 * name under each and serve their own script from it, so a wildcard at or
 * above one (`https://*.wordpress.com`) would match strangers' pages: such
 * wildcards are refused like public suffixes (docs/policies.md explains each).
 */
export const SHARED_HOSTING_BASES: readonly string[] = [
  // Google Cloud Storage: any bucket is served as <bucket>.storage.googleapis.com, HTML and script as uploaded.
  'storage.googleapis.com',
  // Google's user-content domain: Apps Script web apps, Sites and other users' pages are served under it.
  'googleusercontent.com',
  // Microsoft 365: every tenant gets <tenant>.sharepoint.com (and <tenant>-my), whose pages can run script.
  'sharepoint.com',
  // Free sites at <name>.wordpress.com; plans with plugins and custom code run the owner's script.
  'wordpress.com',
  // Free static sites at <name>.neocities.org: any HTML and JavaScript.
  'neocities.org',
  // Free sites at <name>.weebly.com with custom HTML embeds.
  'weebly.com',
  // Blogs at <name>.tumblr.com with owner-written theme HTML, script included.
  'tumblr.com',
];

/**
 * A shared-hosting base at `domain` or below it (`com` -> the first listed
 * under it, `wordpress.com` -> itself), or undefined.
 */
export function sharedHostingAtOrBelow(domain: string): string | undefined {
  const below = `.${domain}`;
  return SHARED_HOSTING_BASES.find((base) => base === domain || base.endsWith(below));
}
