import { describe, expect, it } from 'vitest';
import { InputError } from '../context.ts';
import { checkNewRule, notificationReason, toNotificationRule, visibleTarget } from './rules.ts';

const rule = (trigger_on: 'failure' | 'recovery' | 'always', pipelines = '', branches = '') => ({ trigger_on, pipelines, branches });
const run = (status: 'queued' | 'running' | 'passed' | 'failed' | 'cancelled', pipeline = 'build', branch = 'main') => ({ status, pipeline, branch });

describe('which rules speak about a finished run', () => {
  it('on failure: every failed run, whatever came before; never a pass or a cancel', () => {
    expect(notificationReason(rule('failure'), run('failed'), undefined)).toBe('failure');
    expect(notificationReason(rule('failure'), run('failed'), 'failed')).toBe('failure');
    expect(notificationReason(rule('failure'), run('failed'), 'passed')).toBe('failure');
    expect(notificationReason(rule('failure'), run('passed'), 'failed')).toBeUndefined();
    expect(notificationReason(rule('failure'), run('cancelled'), 'passed')).toBeUndefined();
  });

  it('on recovery: a pass right after a failure of the same pipeline and branch only', () => {
    expect(notificationReason(rule('recovery'), run('passed'), 'failed')).toBe('recovery');
    expect(notificationReason(rule('recovery'), run('passed'), 'passed')).toBeUndefined();
    expect(notificationReason(rule('recovery'), run('passed'), undefined)).toBeUndefined();
    expect(notificationReason(rule('recovery'), run('failed'), 'failed')).toBeUndefined();
  });

  it('always: every run that ended (passed, failed, cancelled), never one still queued or running', () => {
    for (const status of ['passed', 'failed', 'cancelled'] as const) expect(notificationReason(rule('always'), run(status), undefined)).toBe('always');
    for (const status of ['queued', 'running'] as const) expect(notificationReason(rule('always'), run(status), undefined)).toBeUndefined();
  });

  it('only for the pipelines and branches listed (empty: all); branches take * patterns', () => {
    expect(notificationReason(rule('always', 'deploy'), run('failed', 'build'), undefined)).toBeUndefined();
    expect(notificationReason(rule('always', 'build,deploy'), run('failed', 'deploy'), undefined)).toBe('always');
    expect(notificationReason(rule('always', '', 'main'), run('failed', 'build', 'feature'), undefined)).toBeUndefined();
    expect(notificationReason(rule('always', '', 'release/*'), run('failed', 'build', 'release/1.2'), undefined)).toBe('always');
    expect(notificationReason(rule('always', '', 'release/*'), run('failed', 'build', 'prerelease/1.2'), undefined)).toBeUndefined();
    // Pattern characters other than * are literal.
    expect(notificationReason(rule('always', '', 'v1.2'), run('failed', 'build', 'v1x2'), undefined)).toBeUndefined();
  });
});

describe('a new rule', () => {
  const secret = () => 'whsec_made-by-the-server-0123456789';

  it('a webhook rule keeps its URL and gets a made signing secret when none is given', () => {
    const row = checkNewRule({ when: 'failure', channel: 'webhook', url: 'https://hooks.example.com/ci?token=abc', pipelines: ['build, deploy'], branches: ['main'] }, false, secret);
    expect(row).toEqual({ trigger_on: 'failure', channel: 'webhook', pipelines: 'build,deploy', branches: 'main', target: 'https://hooks.example.com/ci?token=abc', signing_secret: 'whsec_made-by-the-server-0123456789' });
  });

  it('refuses what it could not deliver, saying what is wrong', () => {
    const bad = (input: Parameters<typeof checkNewRule>[0], email = true) => {
      try {
        checkNewRule(input, email, secret);
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ when: 'sometimes' as 'always', channel: 'webhook', url: 'https://x.example' })).toMatch(/"when" is one of failure, recovery, always/);
    expect(bad({ when: 'always', channel: 'pager' as 'slack', url: 'https://x.example' })).toMatch(/"channel" is one of webhook, slack, email/);
    expect(bad({ when: 'always', channel: 'slack', url: 'file:///etc/passwd' })).toMatch(/http:\/\/ or https:\/\//);
    expect(bad({ when: 'always', channel: 'slack' })).toMatch(/URL is required/);
    expect(bad({ when: 'always', channel: 'webhook', url: 'https://x.example', secret: 'short' })).toMatch(/at least 16 characters/);
    expect(bad({ when: 'always', channel: 'email', recipients: ['dev@example.com'] }, false)).toMatch(/sends no email: start `werker server` with --smtp-host/);
    expect(bad({ when: 'always', channel: 'email', recipients: ['dev@example.com, not an address'] })).toMatch(/"not" is not an email address/);
    expect(bad({ when: 'always', channel: 'email', recipients: [] })).toMatch(/at least one recipient/);
    expect(bad({ when: 'always', channel: 'webhook', url: 'https://x.example', branches: ['ma in'] })).toMatch(/not a branch name/);
  });

  it('shows a URL only by its scheme and host: a Slack hook\'s path is its key', () => {
    expect(visibleTarget({ channel: 'slack', target: 'https://hooks.slack.com/services/T000/B000/s3cr3t' })).toBe('https://hooks.slack.com/…');
    expect(visibleTarget({ channel: 'webhook', target: 'http://127.0.0.1:8080/hook?token=t0k3n' })).toBe('http://127.0.0.1:8080/…');
    expect(visibleTarget({ channel: 'email', target: 'a@example.com,b@example.com' })).toBe('a@example.com, b@example.com');
    const shown = toNotificationRule({
      id: 3, application_id: 1, trigger_on: 'recovery', pipelines: '', branches: 'main', channel: 'webhook', target: 'https://h.example/p/s3cr3t-path',
      signing_secret: 'whsec_never-shown-0123456789', created_by: 'ada', created_at: '2026-12-05T12:00:00.000Z',
      last_run_id: 9, last_status: 'failed', last_attempts: 5, last_detail: 'HTTP 500', last_at: '2026-12-05T12:01:00.000Z',
    });
    expect(JSON.stringify(shown)).not.toMatch(/s3cr3t-path|never-shown/);
    expect(shown.lastDelivery).toEqual({ runId: 9, status: 'failed', attempts: 5, detail: 'HTTP 500', at: '2026-12-05T12:01:00.000Z' });
  });
});
