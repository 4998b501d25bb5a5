import type { Generated } from 'kysely';

/**
 * The tables, as both dialects store them: integer ids, ISO-8601 text times (they sort as text),
 * 0/1 integers for flags, JSON as text. snake_case here; the server maps rows to its own types.
 */
export interface Database {
  users: {
    id: Generated<number>; name: string; password_hash: string; created_at: string;
    /** 'admin' manages users, runner tokens and every application; 'member' uses applications. */
    role: Generated<'admin' | 'member'>; disabled_at: string | null;
  };
  /** Members who manage an application (variables, key pairs, webhook, deletion). */
  application_maintainers: { application_id: number; user_id: number; created_at: string };
  sessions: { id: Generated<number>; token_hash: string; user_id: number; csrf_token: string; created_at: string; expires_at: string };
  api_tokens: {
    id: Generated<number>; kind: 'user' | 'runner'; name: string; token_hash: string; user_id: number | null;
    created_at: string; last_used_at: string | null; revoked_at: string | null;
  };
  applications: {
    id: Generated<number>; name: string; repository: string; default_branch: string; workflow: string | null;
    webhook_secret: string; created_at: string;
    /** 1: visitors (not signed in) can't see it, not even its badges (migration 0010). */
    private: Generated<number>;
  };
  variables: {
    id: Generated<number>; application_id: number; /** '' = every pipeline */ pipeline: string; name: string; value: string;
    protected: number; updated_at: string;
  };
  key_pairs: {
    id: Generated<number>; application_id: number; name: string; public_key: string; private_key: string; fingerprint: string; created_at: string;
  };
  runs: {
    id: Generated<number>; application_id: number; pipeline: string; kind: 'build' | 'deploy'; branch: string; commit_sha: string;
    status: 'queued' | 'running' | 'passed' | 'failed' | 'cancelled'; trigger: string; triggered_by: string;
    workflow: string | null; /** the workflow entry's name */ workflow_step: string | null; workflow_run_id: number | null; source_run_id: number | null; retry_of: number | null;
    attempt: number; runner: string | null; lease_until: string | null; cancel_requested: number; last_seq: number;
    created_at: string; started_at: string | null; finished_at: string | null; duration_ms: number | null; message: string | null;
    /** Where the run's output tar is kept (server data dir), when it stored one. */
    output_path: string | null;
    /** When the retention sweep deleted the output (output_path is then null). */
    output_removed_at: string | null;
    /** The claim holding a running run: its random id (the runner sends it back) and its runner token (null: embedded runner). */
    lease_id: string | null; lease_token_id: number | null;
    /** 1 once the run reached the cap on stored events (the marker event is stored then). */
    events_truncated: Generated<number>;
    /** A workflow pipeline's source as planned when it was queued: JSON of `WorkflowInputs` (src/server/workflows.ts). */
    workflow_inputs: string | null;
    /** The forge whose webhook the commit came from (commit statuses go back there); null: none. */
    forge: string | null;
    /** The pull request's number, for a run a pull_request webhook queued. */
    pull_request: number | null;
    /** 1: a fork's pull request, run without protected variables until an admin approves it. */
    untrusted: Generated<number>;
    approved_by: string | null; approved_at: string | null;
    /** The last commit status request that failed (and why), until one succeeds. */
    forge_status_error: string | null;
    /** The step a failed run's snapshot was taken at, on its runner (migration 0011). */
    snapshot_step: string | null;
    /** A retry resuming from a snapshot: JSON `{run, fromStep}`. */
    resume_from: string | null;
    /** Only this runner may claim the run until `for_runner_until` (it holds the snapshot). */
    for_runner: string | null; for_runner_until: string | null;
    /** The run status whose commit status the forge has not got yet, and who posts it until when (migration 0014). */
    forge_status_owed: string | null; forge_status_lease: string | null; forge_status_until: string | null;
  };
  run_events: { run_id: number; seq: number; attempt: number; type: string; body: string; at: string };
  /** Every claim of a run by a runner: the audit trail that shows a run was never held twice. */
  run_claims: { id: Generated<number>; run_id: number; attempt: number; runner: string; claimed_at: string; lease_id: string | null; token_id: number | null };
  /** Webhook deliveries already handled, by GitHub's delivery id: a replay queues nothing. */
  webhook_deliveries: { application_id: number; delivery_id: string; received_at: string };
  /** Who hears about an application's finished runs, and how (src/server/notifications/; migration 0008). */
  notification_rules: {
    id: Generated<number>; application_id: number; trigger_on: 'failure' | 'recovery' | 'always';
    /** Comma-separated names ('' = all); branches may hold `*` patterns. */
    pipelines: string; branches: string;
    channel: 'webhook' | 'slack' | 'email';
    /** The URL (webhook, slack: a secret for slack) or the recipients (email, comma-separated). */
    target: string; signing_secret: string | null; created_by: string; created_at: string;
    /** The last delivery: its run, 'sending' | 'delivered' | 'failed', attempts so far, what happened, when. */
    last_run_id: number | null; last_status: 'sending' | 'delivered' | 'failed' | null; last_attempts: number | null; last_detail: string | null; last_at: string | null;
  };
  /** One delivery of a notification rule for a run, kept while it is sent so another server process can finish it (migration 0013). */
  notification_deliveries: {
    /** The delivery id receivers see (the same on every attempt). */
    id: string; rule_id: number; application_id: number; run_id: number;
    reason: 'failure' | 'recovery' | 'always'; previous_status: 'passed' | 'failed' | null;
    status: 'sending' | 'delivered' | 'failed'; attempts: number;
    /** When the next attempt is due (ISO). */
    next_attempt_at: string; detail: string;
    /** The process sending it and until when it holds it (null: nobody; free to claim). */
    lease_id: string | null; lease_until: string | null;
    created_at: string; updated_at: string;
  };
  /** Cron schedules that queue runs; `next_run_at` is the occurrence to claim (null: disabled). */
  schedules: {
    id: Generated<number>; application_id: number; name: string; expression: string; time_zone: string;
    /** a pipeline name, or `workflow:NAME` */ pipeline: string; branch: string; enabled: number;
    next_run_at: string | null; last_occurrence_at: string | null; last_run_id: number | null;
    /** why the last occurrence queued no run (no such branch…), null when it queued one */ last_error: string | null;
    created_by: string; created_at: string; updated_at: string;
  };
  /** The forge an application's repository lives on, its status token (write-only) and the pipeline pull requests run. */
  application_forges: {
    application_id: number; kind: string | null; api_url: string | null; owner: string | null; repo: string | null; token: string | null;
    pr_pipeline: Generated<string>; updated_at: string;
    /** GitHub App credentials (0012): the private key is write-only like the token. */
    github_app_id: string | null; github_installation_id: string | null; github_private_key: string | null;
  };
  /** The shared cache of each application + pipeline + branch: the digest (sha-256) of its tar; size in bytes. */
  cache_entries: { application_id: number; pipeline: string; branch: string; digest: string; size: number | string; created_at: string; last_used_at: string };
}
