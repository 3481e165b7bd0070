/**
 * A short name for the browser a session signed in from, such as "Chrome on Linux", for the
 * "Your sessions" page. It is a label, not a fingerprint: a handful of known names, so what is
 * stored stays short whatever the User-Agent header says.
 *
 * @packageDocumentation
 */

/** Checked in order: Edge, Opera and Samsung Internet also say "Chrome", Chrome says "Safari". */
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  // No \b: headless Chrome says "HeadlessChrome/".
  [/(Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

/** Checked in order: Android says "Linux", iOS says "like Mac OS X". */
const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** Headers longer than this are not worth matching (and are not real browsers). */
const MAX_USER_AGENT = 512;

function first(list: ReadonlyArray<readonly [RegExp, string]>, text: string): string | undefined {
  return list.find(([pattern]) => pattern.test(text))?.[1];
}

/** "Chrome on Linux", "Firefox", "A browser on iOS", or "Unknown device". */
export function describeDevice(userAgent: string | null | undefined): string {
  const text = (userAgent ?? '').slice(0, MAX_USER_AGENT);
  const browser = first(BROWSERS, text);
  const system = first(SYSTEMS, text);
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `A browser on ${system}`;
  return 'Unknown device';
}
