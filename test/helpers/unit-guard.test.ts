import childProcess, { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';

// This file runs in the unit project, whose setup file is test/helpers/unit-guard.ts.
describe('the unit project refuses services', () => {
  it('a child process, by named import or through the module', () => {
    expect(() => spawn('true')).toThrow(/unit tests start no child process.*\*\.int\.test\.ts/);
    expect(() => execFile('true')).toThrow(/child_process\.execFile/);
    expect(() => childProcess.fork('x.js')).toThrow(/child_process\.fork/);
  });

  it('a listening socket', () => {
    expect(() => createServer().listen(0)).toThrow(/unit tests start no listening socket/);
  });
});
