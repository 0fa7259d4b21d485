/**
 * The rider's position from the browser, or why there is none. Browsers give it only to secure
 * pages (HTTPS, or http://localhost on the phone itself): on plain http the prompt never shows,
 * so the page goes straight to the township picker instead of waiting.
 */
export type Position = { lat: number; lon: number; accuracyM: number };
export type NoPosition = 'insecure' | 'unsupported' | 'denied' | 'timeout';

/** Long enough for a phone's first fix indoors; the picker is offered meanwhile anyway. */
const TIMEOUT_MS = 10_000;

export function locate(): Promise<Position | NoPosition> {
  if (!window.isSecureContext) return Promise.resolve('insecure');
  if (!('geolocation' in navigator)) return Promise.resolve('unsupported');
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) =>
        resolve({
          lat: p.coords.latitude,
          lon: p.coords.longitude,
          accuracyM: Math.round(p.coords.accuracy),
        }),
      (e) => resolve(e.code === e.PERMISSION_DENIED ? 'denied' : 'timeout'),
      // A position up to 30 s old is as good as a new one for choosing a station, and instant.
      { enableHighAccuracy: false, timeout: TIMEOUT_MS, maximumAge: 30_000 },
    );
  });
}
