/**
 * Setup file of the `unit` project: a unit test runs in-process, so starting a child process or
 * listening on a socket fails the test at once with the rule it broke, instead of making the fast
 * project slow without anyone noticing. A file that needs either is an integration test: name it
 * `*.int.test.ts` (test/README.md).
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what: string): never {
  throw new Error(
    `unit tests start no ${what}; a test that needs one is an integration test: name its file *.int.test.ts (see test/README.md)`,
  );
}

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, {
    value: () => refuse(`child process (child_process.${name})`),
    writable: true,
    configurable: true,
  });
}
net.Server.prototype.listen = function listen(): never {
  refuse('listening socket (net.Server.listen)');
};
// Named imports of builtins (`import { spawn } from 'node:child_process'`) read these bindings.
syncBuiltinESMExports();
