/**
 * The role × permission table of docs/operations.md ("Accounts and roles") says what auth/roles.ts
 * grants: one row per role, its permissions listed exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLES, ROLE_PERMISSIONS, ROLE_NAMES } from '@yizhan/server/roles';

const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

/** The table's rows: role → [名称, permissions]. */
function table(): Map<string, { name: string; permissions: string[] }> {
  const start = doc.indexOf('| role | 名称 | permissions |');
  expect(start, 'the roles table in docs/operations.md').toBeGreaterThan(0);
  const rows = new Map<string, { name: string; permissions: string[] }>();
  for (const line of doc.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [role, name, perms] = line
      .split('|')
      .slice(1, 4)
      .map((c) => c.trim());
    rows.set(role!.replaceAll('`', ''), {
      name: name!,
      permissions: [...perms!.matchAll(/`([a-z]+:[a-z]+)`/g)].map((m) => m[1]!),
    });
  }
  return rows;
}

describe('roles table in docs/operations.md', () => {
  it('has one row per role with its Chinese name and exactly the permissions roles.ts grants', () => {
    const rows = table();
    expect([...rows.keys()]).toEqual([...ROLES]);
    for (const role of ROLES) {
      expect(rows.get(role)?.name, role).toBe(ROLE_NAMES[role]['zh-CN']);
      expect(rows.get(role)?.permissions.slice().sort(), role).toEqual([...ROLE_PERMISSIONS[role]].sort());
    }
  });
});
