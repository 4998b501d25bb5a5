import type { FC } from 'hono/jsx';
import type { RunPage as RunPageData, User } from '../../context.ts';
import { Layout, Section } from '../components.tsx';
import { RunTable } from './run-table.tsx';

export interface RunsProps {
  user: User;
  csrf: string;
  runs: RunPageData;
  before: number | undefined;
}

/** Every application's runs, newest first, a page at a time. */
export const RunsPage: FC<RunsProps> = ({ user, csrf, runs, before }) => (
  <Layout title="Runs" user={user} csrf={csrf}>
    <h1>Runs</h1>
    <Section title={before === undefined ? 'Latest runs' : `Runs before #${before}`}>
      <RunTable runs={runs.runs} showApplication={true} />
      <div class="pager">
        {before !== undefined ? <a href="/runs">Newest runs</a> : null}
        {runs.nextBefore !== null ? <a href={`/runs?before=${runs.nextBefore}`}>Older runs</a> : null}
      </div>
    </Section>
  </Layout>
);
