/**
 * The page's device id (X-Yizhan-Device), kept in localStorage: the server's per-device limit on
 * reports. Random, 22 base64url characters; getRandomValues works on plain http too (randomUUID
 * does not). The receipts of this phone's reports are kept beside it for the progress page.
 */
const DEVICE_KEY = 'yz-device';
const RECEIPTS_KEY = 'yz-receipts';

function store(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

export function deviceId(): string {
  const s = store();
  const kept = s?.getItem(DEVICE_KEY);
  if (kept && /^[A-Za-z0-9_-]{16,64}$/.test(kept)) return kept;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const id = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  s?.setItem(DEVICE_KEY, id);
  return id;
}

export function keptReceipts(): string[] {
  try {
    const v: unknown = JSON.parse(store()?.getItem(RECEIPTS_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 20) : [];
  } catch {
    return [];
  }
}

export function keepReceipt(receipt: string): void {
  store()?.setItem(
    RECEIPTS_KEY,
    JSON.stringify([receipt, ...keptReceipts().filter((r) => r !== receipt)].slice(0, 20)),
  );
}
