import { afterEach, describe, expect, it } from 'vitest';
import { DockerApiError } from '../../src/errors.ts';
import { FakeRuntime } from '../fakes/fake-runtime.ts';

let fake: FakeRuntime;
afterEach(() => fake.dispose());

describe('FakeRuntime', () => {
  it('refuses a container for a missing image with a 404, like the daemon', async () => {
    fake = new FakeRuntime({ images: ['present'] });
    await expect(fake.createContainer({ name: 'a', image: 'absent', labels: {} })).rejects.toMatchObject({ status: 404 });
    await expect(fake.createContainer({ name: 'a', image: 'present:latest', labels: {} })).resolves.toMatch(/^ctr/);
    await expect(fake.createContainer({ name: 'a', image: 'present', labels: {} })).rejects.toBeInstanceOf(DockerApiError);
  });

  it('runs exec on the host, or as scripted', async () => {
    fake = new FakeRuntime({ images: ['i'], onExec: (_id, cmd) => (cmd[0] === 'scripted' ? { exitCode: 9, stdout: 'canned', stderr: '' } : undefined) });
    const id = await fake.createContainer({ name: 'a', image: 'i', labels: {}, env: ['FOO=bar'] });
    await fake.startContainer(id);
    expect(await fake.exec(id, ['sh', '-c', 'cat; echo "$FOO"; exit 4'], { stdin: 'in\n' })).toEqual({ exitCode: 4, stdout: 'in\nbar\n', stderr: '' });
    expect(await fake.exec(id, ['scripted'])).toEqual({ exitCode: 9, stdout: 'canned', stderr: '' });
    expect(fake.callsTo('exec')).toHaveLength(2);
  });

  it('finds and removes labelled objects; removal is idempotent', async () => {
    fake = new FakeRuntime({ images: ['i'] });
    await fake.createContainer({ name: 'a', image: 'i', labels: { run: '1' } });
    await fake.createContainer({ name: 'b', image: 'i', labels: { run: '2' } });
    await fake.createNetwork('n', { run: '1' });
    const found = await fake.listLabelled('run', '1');
    expect(found.containers.map((c) => c.name)).toEqual(['a']);
    expect(found.networks.map((n) => n.name)).toEqual(['n']);
    expect((await fake.listLabelled('run')).containers).toHaveLength(2);
    await fake.removeContainer('a');
    await fake.removeContainer('a');
    expect((await fake.listLabelled('run', '1')).containers).toEqual([]);
  });

  it('reports the exit code of the main process', async () => {
    fake = new FakeRuntime({ images: ['i'] });
    const id = await fake.createContainer({ name: 'a', image: 'i', labels: {} });
    const attached = await fake.attach(id);
    await fake.startContainer(id);
    attached.stdin.write('echo hi; exit 5\n');
    const out: string[] = [];
    for await (const c of attached.output) out.push(c.data.toString());
    expect(out.join('')).toBe('hi\n');
    expect(await fake.waitContainer(id)).toBe(5);
    expect((await fake.inspectContainer(id)).running).toBe(false);
  });
});
