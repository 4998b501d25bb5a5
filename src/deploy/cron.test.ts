import { describe, expect, it } from 'vitest';
import { cronJobs, cronLines, withCronBlock } from './cron.ts';

describe('cron jobs', () => {
  it('reads schedule lines; a job is named after its command', () => {
    const jobs = cronJobs("# the seed's ticker\n*/1 * * * * python manage.py ticker\n\n@hourly sh -c 'echo \"hi there\" >> /data/log'\n");
    expect(jobs).toEqual([
      { name: expect.stringMatching(/^python-manage-py-ticker-[0-9a-f]{6}$/), schedule: '*/1 * * * *', command: ['python', 'manage.py', 'ticker'] },
      { name: expect.stringMatching(/^sh-c-echo-hi-there-data-[0-9a-f]{6}$/), schedule: '@hourly', command: ['sh', '-c', 'echo "hi there" >> /data/log'] },
    ]);
    expect(cronJobs('* * * * * python manage.py ticker')[0]!.name).toBe(jobs[0]!.name);
  });

  it.each([
    ['* * * python x', /five schedule fields/],
    ['@reboot x', /not a cron schedule keyword/],
    ['* * * * *', /no command/],
    ['* * * * * a\n*/5 * * * * a', /listed twice/],
  ])('refuses %j', (text, message) => {
    expect(() => cronJobs(text)).toThrow(message);
  });

  it('crontab lines run the script from the home directory, keeping its last output', () => {
    const [job] = cronJobs('*/1 * * * * python manage.py ticker');
    expect(cronLines('.werker/nexchange', [job!])).toEqual([`*/1 * * * * cd && exec .werker/nexchange/cron/${job!.name}.sh > .werker/nexchange/cron/${job!.name}.log 2>&1`]);
  });

  it('replaces only this app\'s block of the crontab', () => {
    const mine = ['* * * * * mine'];
    const start = '# werker:nexchange begin (written by internal/release; edits are lost)';
    const other = `MAILTO=ops\n0 3 * * * backup\n# werker:other begin (written by internal/release; edits are lost)\n* * * * * theirs\n# werker:other end\n`;
    const once = withCronBlock(other, 'nexchange', mine);
    expect(once).toBe(`${other}${start}\n* * * * * mine\n# werker:nexchange end\n`);
    expect(withCronBlock(once, 'nexchange', ['*/5 * * * * new'])).toBe(`${other}${start}\n*/5 * * * * new\n# werker:nexchange end\n`);
    expect(withCronBlock(once, 'nexchange', [])).toBe(other);
    expect(withCronBlock('', 'nexchange', [])).toBe('');
  });
});
