import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workflowEnvFile } from './workflow-inputs.ts';

const root = mkdtempSync(path.join(tmpdir(), 'werker-wf-env-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const checkout = path.join(root, 'checkout');
mkdirSync(path.join(checkout, 'ci'), { recursive: true });
writeFileSync(path.join(checkout, 'ci/a.env'), 'X_FLAVOR=a\n# a comment\nXXX_KEY="k"\n');
writeFileSync(path.join(root, 'outside.env'), 'X_STOLEN=1\n');
symlinkSync(path.join(root, 'outside.env'), path.join(checkout, 'ci/link.env'));

describe('a workflow pipeline\'s envFile on a runner (docs/wercker-compat.md §3.1, §4.11)', () => {
  it('reads the file from the checkout; none or a missing file gives nothing', async () => {
    expect(await workflowEnvFile(checkout, 'ci/a.env')).toEqual([['X_FLAVOR', 'a'], ['XXX_KEY', 'k']]);
    expect(await workflowEnvFile(checkout, undefined)).toEqual([]);
    expect(await workflowEnvFile(checkout, 'ci/none.env')).toEqual([]);
  });

  it('refuses a path or a link that leads out of the checkout', async () => {
    await expect(workflowEnvFile(checkout, '../outside.env')).rejects.toThrow('envFile ../outside.env points outside the repository');
    await expect(workflowEnvFile(checkout, 'ci/link.env')).rejects.toThrow('envFile ci/link.env points outside the repository');
    await expect(workflowEnvFile(checkout, path.join(root, 'outside.env'))).rejects.toThrow('points outside the repository');
  });
});
