import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.ts';
import { smtpSettingsFrom } from './smtp-settings.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'werker-smtp-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the server\'s SMTP settings (--smtp-* flags, WERKER_SMTP_* variables)', () => {
  it('none without a host: the server sends no email', () => {
    expect(smtpSettingsFrom({}, {})).toBeUndefined();
  });

  it('flags win over the environment; the port follows the security mode; the password comes from a file or the environment', () => {
    const file = path.join(dir, 'password');
    writeFileSync(file, 'pa$$ from file\n');
    expect(smtpSettingsFrom({ smtpHost: 'mail.example.com', smtpFrom: 'ci@example.com', smtpUser: 'ci', smtpPasswordFile: file }, { WERKER_SMTP_HOST: 'other', WERKER_SMTP_PASSWORD: 'env' }))
      .toEqual({ host: 'mail.example.com', port: 587, security: 'starttls', from: 'ci@example.com', user: 'ci', password: 'pa$$ from file' });
    expect(smtpSettingsFrom({}, { WERKER_SMTP_HOST: 'mail', WERKER_SMTP_FROM: 'werker <ci@example.com>', WERKER_SMTP_SECURITY: 'tls', WERKER_SMTP_USER: 'u', WERKER_SMTP_PASSWORD: 'env' }))
      .toEqual({ host: 'mail', port: 465, security: 'tls', from: 'werker <ci@example.com>', user: 'u', password: 'env' });
    expect(smtpSettingsFrom({ smtpHost: 'localhost', smtpFrom: 'ci@example.com', smtpSecurity: 'none' }, {})).toMatchObject({ port: 25, security: 'none' });
  });

  it('refuses bad settings with the flag to fix', () => {
    const bad = (flags: Parameters<typeof smtpSettingsFrom>[0], env: NodeJS.ProcessEnv = {}) => {
      try {
        smtpSettingsFrom({ smtpHost: 'mail', smtpFrom: 'ci@example.com', ...flags }, env);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ smtpSecurity: 'ssl' })).toBe('--smtp-security is starttls, tls or none, not "ssl"');
    expect(bad({ smtpPort: '99999' })).toBe('--smtp-port takes a port number, not "99999"');
    expect(bad({ smtpFrom: 'not an address' })).toMatch(/^--smtp-from \(or WERKER_SMTP_FROM\) takes the sender's address/);
    expect(bad({}, { WERKER_SMTP_PASSWORD: 'x' })).toBe('an SMTP password needs --smtp-user (or WERKER_SMTP_USER)');
    expect(bad({ smtpUser: 'u', smtpPasswordFile: path.join(dir, 'missing') })).toMatch(/^--smtp-password-file: can't read .*missing: ENOENT$/);
  });
});
