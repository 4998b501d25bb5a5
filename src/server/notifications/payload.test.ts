import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSlackPayload } from '../../../test/helpers/slack-webhook.ts';
import type { RunRow } from '../../store/runs.ts';
import { Masker } from '../../util/mask.ts';
import { emailMessage, runNotice, signBody, slackBody, webhookBody, webhookHeaders } from './payload.ts';

const row: RunRow = {
  id: 42, application_id: 7, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: '0123456789abcdef0123456789abcdef01234567',
  status: 'failed', trigger: 'webhook', triggered_by: 'ada', workflow: null, workflow_step: null, workflow_run_id: null, source_run_id: null, retry_of: null,
  attempt: 1, runner: 'embedded', lease_until: null, cancel_requested: 0, last_seq: 30, created_at: '2026-12-05T12:00:00.000Z',
  started_at: '2026-12-05T12:00:01.000Z', finished_at: '2026-12-05T12:00:13.500Z', duration_ms: 12_500,
  message: 'step "deploy" failed: token hunter2-protected-value refused <script>&', output_path: null, output_removed_at: null,
  lease_id: null, lease_token_id: null, events_truncated: 0, workflow_inputs: null,
  forge: null, pull_request: null, untrusted: 0, approved_by: null, approved_at: null, forge_status_error: null,
  snapshot_step: null, resume_from: null, for_runner: null, for_runner_until: null,
  forge_status_owed: null, forge_status_lease: null, forge_status_until: null,
};
const masker = new Masker(['hunter2-protected-value']);
const notice = runNotice(row, 'shop', 'https://ci.example.com', 'failure', 'passed', masker);
const stamp = { id: '6f1c1c2e-0000-4000-8000-000000000001', timestamp: 1_796_000_000 };

describe('what a notification says', () => {
  it('the webhook body: the run\'s facts, the previous result, the run URL, the masked message, and the delivery id and time inside the signed body', () => {
    expect(JSON.parse(webhookBody(notice, stamp))).toEqual({
      event: 'run.finished', deliveryId: stamp.id, timestamp: stamp.timestamp, reason: 'failure',
      application: { id: 7, name: 'shop' },
      run: {
        id: 42, url: 'https://ci.example.com/runs/42', pipeline: 'build', branch: 'main', commit: row.commit_sha, status: 'failed', previousStatus: 'passed',
        durationMs: 12_500, trigger: 'webhook', triggeredBy: 'ada', attempt: 1, message: 'step "deploy" failed: token *** refused <script>&',
        startedAt: row.started_at, finishedAt: row.finished_at,
      },
    });
  });

  it('signs the exact body bytes with HMAC-SHA256 under the rule\'s secret, and names the delivery and time in headers', () => {
    const body = webhookBody(notice, stamp);
    const headers = webhookHeaders('whsec_rule-secret-0123456789', body, stamp);
    const expected = createHmac('sha256', 'whsec_rule-secret-0123456789').update(Buffer.from(body)).digest('hex');
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'x-werker-event': 'run.finished', 'x-werker-delivery': stamp.id, 'x-werker-timestamp': '1796000000' });
    expect(headers['x-werker-signature']).toBe(`sha256=${expected}`);
    expect(signBody('another-secret-0123456789', body)).not.toBe(headers['x-werker-signature']);
    expect(signBody('whsec_rule-secret-0123456789', `${body} `)).not.toBe(headers['x-werker-signature']);
  });

  it('the Slack body is what an incoming webhook documents (text + blocks), escapes mrkdwn and links the run', () => {
    const body = slackBody(notice);
    expect(checkSlackPayload(JSON.parse(JSON.stringify(body)))).toBeUndefined();
    expect(body.text).toBe(':x: shop build failed on main (0123456) — <https://ci.example.com/runs/42|run #42>');
    expect(JSON.stringify(body.blocks)).toContain('token *** refused &lt;script&gt;&amp;');
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('a recovery reads "passed again"; the email has a subject, a plain body with the link, and says it is automatic', () => {
    const passed = runNotice({ ...row, status: 'passed', message: null }, 'shop', 'https://ci.example.com', 'recovery', 'failed', masker);
    const mail = emailMessage(passed);
    expect(mail.subject).toBe('[werker] shop build passed again on main (0123456)');
    expect(mail.text).toContain('Status:      passed (the run before: failed)');
    expect(mail.text).toContain('The run: https://ci.example.com/runs/42');
    expect(mail.headers).toEqual({ 'Auto-Submitted': 'auto-generated', 'X-Werker-Run': '42', 'X-Werker-Application': 'shop' });
  });
});
