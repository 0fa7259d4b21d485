/**
 * Reload a settings file (alert-rules.yaml, notify.yaml) when it changes: fs.watch on its folder (editors replace the file by
 * renaming, which ends a watch on the file itself), debounced so one save that writes several
 * times reloads once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';

/** Quiet time after the last change before the reload, ms. */
export const WATCH_DEBOUNCE_MS = 300;

/**
 * Watch `file` (nothing when undefined); returns the function that stops watching. `what` names
 * the file in log lines, e.g. "alert rules file".
 */
export function watchFile(
  file: string | undefined,
  what: string,
  reload: () => void,
  log: FastifyBaseLogger,
  debounceMs = WATCH_DEBOUNCE_MS,
): () => void {
  if (file === undefined) return () => {};
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
      timer.unref();
    });
  } catch (e) {
    log.warn(
      { file, err: (e as Error).message },
      `${what} not watched; reload with SIGHUP or the API`,
    );
    return () => {};
  }
  watcher.on('error', (e) =>
    log.warn({ file, err: e.message }, `${what} watch failed; reload with SIGHUP or the API`),
  );
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
