/**
 * People the alert path reaches: a user's mobile number, which WeCom and DingTalk robots @-mention
 * (crews, township managers, the county on escalation). Null: the user is not @-mentioned.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function migration0008(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('users').addColumn('mobile', 'text').execute();
    },
  };
}
