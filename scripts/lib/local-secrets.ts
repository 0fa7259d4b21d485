/**
 * Local secrets for `npm start`: the broker accounts of the server and of every simulated station.
 * Hashes go to the broker's credentials file; the plain secrets (which the simulated boards and the
 * server need to log in) go to <data>/secrets/<username>.secret with mode 0600. Both live under the
 * data folder, which git ignores. On a real deployment each board holds only its own secret.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCredentialsFile, provisionAccounts, rotateAccount, type Role } from '@yizhan/broker/credentials';

export const SERVER_ACCOUNT = 'yizhan-server';

/** Make sure every account exists and has a readable secret file; returns the secrets folder. */
export async function provisionLocalSecrets(dataDir: string, usernames: string[]): Promise<string> {
  const secretsDir = join(dataDir, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const file = defaultCredentialsFile({ YIZHAN_DATA_DIR: dataDir });
  const role = (u: string): Role => (u === SERVER_ACCOUNT ? 'server' : 'station');
  const secretFile = (u: string): string => join(secretsDir, `${u}.secret`);
  const fresh = await provisionAccounts(
    file,
    usernames.map((u) => ({ username: u, role: role(u) })),
  );
  for (const [u, secret] of fresh) writeFileSync(secretFile(u), secret + '\n', { mode: 0o600 });
  // An account whose secret file was deleted gets a new secret (the old one is unknown by design).
  for (const u of usernames) {
    if (existsSync(secretFile(u))) continue;
    const secret = await rotateAccount(file, u);
    writeFileSync(secretFile(u), secret + '\n', { mode: 0o600 });
  }
  return secretsDir;
}
