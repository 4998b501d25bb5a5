import { describe, expect, it } from 'vitest';
import { siteCheckTarget, withSiteCheck } from './site-check.ts';

const nginx = (listen: string) => ({ site: '/etc/nginx/app.conf', serverNames: ['app.example'], listen, command: ['nginx'] });

describe('the site check server', () => {
  it('answers a hash of the site above it, the same for the same site and another for another', () => {
    const a = withSiteCheck(nginx('80'), 'app', 'server { listen 80; }\n');
    expect(a.generation).toMatch(/^[0-9a-f]{16}$/);
    expect(withSiteCheck(nginx('80'), 'app', 'server { listen 80; }\n').generation).toBe(a.generation);
    expect(withSiteCheck(nginx('80'), 'app', 'server { listen 81; }\n').generation).not.toBe(a.generation);
    expect(a.text.startsWith('server { listen 80; }\n# werker asks this server')).toBe(true);
    expect(a.text).toContain('    listen 80;\n    server_name app.werker.invalid;\n    access_log off;\n    allow 127.0.0.1;\n    allow ::1;\n    deny all;\n');
    expect(a.text).toContain(`    location = /werker-site {\n        default_type text/plain;\n        return 200 "${a.generation}\\n";\n    }\n}\n`);
  });

  it('is reached through loopback for a wildcard listen, at the address for a named one', () => {
    expect(siteCheckTarget(nginx('80'), 'app')).toEqual({ url: 'http://127.0.0.1:80/werker-site', hostHeader: 'app.werker.invalid', allow: ['127.0.0.1', '::1'] });
    expect(siteCheckTarget(nginx('0.0.0.0:8080'), 'app').url).toBe('http://127.0.0.1:8080/werker-site');
    expect(siteCheckTarget(nginx('[::]:8080'), 'app').url).toBe('http://[::1]:8080/werker-site');
    expect(siteCheckTarget(nginx('[2001:db8::5]:81'), 'app')).toMatchObject({ url: 'http://[2001:db8::5]:81/werker-site', allow: ['127.0.0.1', '::1', '2001:db8::5'] });
    expect(siteCheckTarget(nginx('10.0.0.5:80'), 'app')).toMatchObject({ url: 'http://10.0.0.5:80/werker-site', allow: ['127.0.0.1', '::1', '10.0.0.5'] });
    expect(siteCheckTarget(nginx('10.0.0.5'), 'app').url).toBe('http://10.0.0.5:80/werker-site');
    expect(siteCheckTarget(nginx('localhost:8088'), 'app')).toMatchObject({ url: 'http://localhost:8088/werker-site', allow: ['127.0.0.1', '::1'] });
  });

  it('names itself after the app under .invalid, short and in the letters a server name takes', () => {
    expect(siteCheckTarget(nginx('80'), 'Nexchange_Prod.v2').hostHeader).toBe('nexchange-prod-v2.werker.invalid');
    expect(siteCheckTarget(nginx('80'), 'a'.repeat(60)).hostHeader).toBe(`${'a'.repeat(24)}.werker.invalid`);
    expect(siteCheckTarget(nginx('80'), '___').hostHeader).toBe('site.werker.invalid');
  });
});
