import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/** The first schema. Written once for both dialects: only the id column type differs. */
export function init(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const id = (t: ReturnType<Kysely<unknown>['schema']['createTable']>) =>
        dialect === 'postgres' ? t.addColumn('id', 'serial', (c) => c.primaryKey()) : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await id(db.schema.createTable('users'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await id(db.schema.createTable('sessions'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await id(db.schema.createTable('api_tokens'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await id(db.schema.createTable('applications'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('default_branch', 'text', (c) => c.notNull())
        .addColumn('workflow', 'text')
        .addColumn('webhook_secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await id(db.schema.createTable('variables'))
        .addColumn('application_id', 'integer', (c) => c.notNull())
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('variables_app_pipeline_name', ['application_id', 'pipeline', 'name'])
        .execute();
      await id(db.schema.createTable('key_pairs'))
        .addColumn('application_id', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('key_pairs_app_name', ['application_id', 'name'])
        .execute();
      await id(db.schema.createTable('runs'))
        .addColumn('application_id', 'integer', (c) => c.notNull())
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('commit_sha', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('triggered_by', 'text', (c) => c.notNull())
        .addColumn('workflow', 'text')
        .addColumn('workflow_step', 'text')
        .addColumn('workflow_run_id', 'integer')
        .addColumn('source_run_id', 'integer')
        .addColumn('retry_of', 'integer')
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('runner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('duration_ms', 'integer')
        .addColumn('message', 'text')
        .addColumn('output_path', 'text')
        .execute();
      await db.schema.createIndex('runs_status_id').on('runs').columns(['status', 'id']).execute();
      await db.schema.createIndex('runs_app_id').on('runs').columns(['application_id', 'id']).execute();
      await db.schema.createTable('run_events')
        .addColumn('run_id', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
        .execute();
      await id(db.schema.createTable('run_claims'))
        .addColumn('run_id', 'integer', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('runner', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('run_claims_run').on('run_claims').column('run_id').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['run_claims', 'run_events', 'runs', 'key_pairs', 'variables', 'applications', 'api_tokens', 'sessions', 'users']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
