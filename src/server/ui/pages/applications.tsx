import type { FC } from 'hono/jsx';
import type { Application, User } from '../../context.ts';
import { ErrorBox, Layout, PostForm, Section, formatTime } from '../components.tsx';

export interface ApplicationsProps {
  user: User;
  csrf: string;
  applications: Application[];
  error?: string;
  /** What the user typed, shown again after an error. */
  form?: { name?: string; repository?: string; defaultBranch?: string };
}

export const ApplicationsPage: FC<ApplicationsProps> = (props) => (
  <Layout title="Applications" user={props.user} csrf={props.csrf}>
    <h1>Applications</h1>
    <Section title="Your applications">
      {props.applications.length === 0 ? (
        <p class="muted">No application yet: add one below.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Repository</th>
              <th>Default branch</th>
              <th>Added</th>
            </tr>
          </thead>
          <tbody>
            {props.applications.map((app) => (
              <tr>
                <td>
                  <a href={`/apps/${app.id}`}>{app.name}</a>
                </td>
                <td class="mono">{app.repository}</td>
                <td class="mono">{app.defaultBranch}</td>
                <td class="muted">{formatTime(app.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
    <Section title="New application" id="new">
      <ErrorBox message={props.error} />
      <PostForm action="/apps" csrf={props.csrf} id="new-application">
        <div class="row">
          <label>
            Name
            <input name="name" required value={props.form?.name ?? ''} placeholder="my-app" />
          </label>
          <label style="flex: 1">
            Git URL or local repository path
            <input name="repository" required value={props.form?.repository ?? ''} placeholder="https://git.example.com/team/app.git or /srv/git/app" style="width: 100%" />
          </label>
          <label>
            Default branch
            <input name="defaultBranch" value={props.form?.defaultBranch ?? ''} placeholder="the repository's HEAD" />
          </label>
          <button type="submit">Add application</button>
        </div>
      </PostForm>
      <p class="muted">
        Pipelines and workflows are read from the repository's <code>wercker.yml</code> at the commit being built.
      </p>
    </Section>
  </Layout>
);
