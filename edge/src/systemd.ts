/**
 * systemd readiness and watchdog for the agent (unit: edge/deploy/yizhan-edge.service, Type=notify,
 * WatchdogSec=60, NotifyAccess=all). Node cannot send datagrams on the unix socket in
 * $NOTIFY_SOCKET itself, so the `systemd-notify` tool does it: READY=1 once, then WATCHDOG=1 at
 * half the watchdog period. The pings come from the agent's event loop: a hung loop stops them and
 * systemd restarts the service. Outside systemd (no NOTIFY_SOCKET) this does nothing.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

export interface SystemdNotifier {
  stop(): void;
}

export function startSystemdNotify(log: Logger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  if (!env.NOTIFY_SOCKET) return { stop: () => {} };
  const notify = (msg: string): void => {
    execFile('systemd-notify', [`--pid=${process.pid}`, msg], (err) => {
      if (err) log.warn({ err: err.message, msg }, 'systemd-notify failed');
    });
  };
  notify('READY=1');
  const usec = Number(env.WATCHDOG_USEC);
  if (!(Number.isFinite(usec) && usec > 0)) return { stop: () => {} };
  const timer = setInterval(() => notify('WATCHDOG=1'), Math.max(1000, usec / 1000 / 2));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
