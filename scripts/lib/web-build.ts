/**
 * The web build (Vite): the staff app (web/ → web/dist) and the riders' phone page (web/m →
 * web/dist/m, its own config, built second because the staff build empties web/dist): whether it
 * is stale, and building it. `npm start` and the browser tests build only when a source is newer
 * than the last build.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_ROOT = join(ROOT, 'web');
export const WEB_DIST = join(WEB_ROOT, 'dist');
const VITE = join(ROOT, 'node_modules/vite/bin/vite.js');

/** What the build reads besides web/src. */
const INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'm/index.html', 'vite.phone.config.ts'];
/** The two builds' configs, in order. */
const CONFIGS = ['vite.config.ts', 'vite.phone.config.ts'];

function newestUnder(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  return newest;
}

/** Why web/dist needs building ('missing', 'stale'), or null when it is newer than every source. */
export function webBuildNeeded(webRoot = WEB_ROOT): 'missing' | 'stale' | null {
  let built: number;
  try {
    built = Math.min(
      statSync(join(webRoot, 'dist/index.html')).mtimeMs,
      statSync(join(webRoot, 'dist/m/index.html')).mtimeMs,
    );
  } catch {
    return 'missing';
  }
  const inputs = Math.max(
    newestUnder(join(webRoot, 'src')),
    ...INPUTS.map((f) => statSync(join(webRoot, f)).mtimeMs),
  );
  return inputs > built ? 'stale' : null;
}

/**
 * Build web/dist with Vite in a child process (the current Node), quietly: its output is thrown
 * in the error when the build fails.
 */
export function buildWeb(webRoot = WEB_ROOT): void {
  try {
    for (const config of CONFIGS)
      execFileSync(process.execPath, [VITE, 'build', '-c', config, '--logLevel', 'warn'], {
        cwd: webRoot,
        stdio: 'pipe',
        encoding: 'utf8',
      });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm run build:web failed: ${err.stderr || err.stdout || err.message}`);
  }
}

/** A build holding the lock longer than this has died: its lock is taken over. */
const LOCK_STALE_MS = 5 * 60_000;

/**
 * Run `fn` holding a lock file beside web/ (`openSync(..., 'wx')` is atomic), so that browser test
 * files starting in parallel workers do not build into the same web/dist at once (each build
 * empties its folder first). Waits synchronously, as the build itself does.
 */
function withBuildLock<T>(webRoot: string, fn: () => T): T {
  const lock = join(webRoot, '.build.lock');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
      } catch (err) {
        // Released between the two calls: try again. Anything else is a real failure.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      Atomics.wait(nap, 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Build when stale or missing (once, if several processes ask together); the reason it built, or null. */
export function ensureWebBuilt(webRoot = WEB_ROOT): 'missing' | 'stale' | null {
  if (!webBuildNeeded(webRoot)) return null;
  return withBuildLock(webRoot, () => {
    // Another process may have built it while this one waited.
    const need = webBuildNeeded(webRoot);
    if (need) buildWeb(webRoot);
    return need;
  });
}
