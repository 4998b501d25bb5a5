import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Roles and runner trust.
 * - `users.role` ('admin' | 'member') and `users.disabled_at`; an existing database gets its
 *   oldest user as the admin (the first user is the admin from now on), everyone else a member.
 * - `application_maintainers`: the members who manage an application's variables, key pairs,
 *   webhook and deletion (admins manage every application).
 * - `runs.lease_id` / `runs.lease_token_id`: the claim that holds a running run (a random id the
 *   runner must send back, and the runner token that made it; null token: the embedded runner),
 *   recorded per claim in `run_claims` too.
 */
export const rolesAndLeases: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('users').addColumn('role', 'text', (c) => c.notNull().defaultTo('member')).execute();
    await db.schema.alterTable('users').addColumn('disabled_at', 'text').execute();
    await sql`UPDATE users SET role = 'admin' WHERE id = (SELECT MIN(id) FROM users)`.execute(db);
    await db.schema.createTable('application_maintainers')
      .addColumn('application_id', 'integer', (c) => c.notNull())
      .addColumn('user_id', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('application_maintainers_pk', ['application_id', 'user_id'])
      .execute();
    await db.schema.alterTable('runs').addColumn('lease_id', 'text').execute();
    await db.schema.alterTable('runs').addColumn('lease_token_id', 'integer').execute();
    await db.schema.alterTable('run_claims').addColumn('lease_id', 'text').execute();
    await db.schema.alterTable('run_claims').addColumn('token_id', 'integer').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('run_claims').dropColumn('token_id').execute();
    await db.schema.alterTable('run_claims').dropColumn('lease_id').execute();
    await db.schema.alterTable('runs').dropColumn('lease_token_id').execute();
    await db.schema.alterTable('runs').dropColumn('lease_id').execute();
    await db.schema.dropTable('application_maintainers').execute();
    await db.schema.alterTable('users').dropColumn('disabled_at').execute();
    await db.schema.alterTable('users').dropColumn('role').execute();
  },
};
