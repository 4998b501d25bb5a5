import type { FC } from 'hono/jsx';
import type { Application, PipelineList } from '../../context.ts';
import { badgePath } from '../../routes/badges.ts';
import { PostForm, Section } from '../components.tsx';

export interface BadgesProps {
  app: Application;
  pipelines: PipelineList;
  /** The server's public URL (ServerContext.baseUrl): a README links there, not to the request's host. */
  baseUrl: string;
  csrf: string;
  /** The user manages the application: they may make it private or public. */
  manage: boolean;
}

/** The Markdown a README needs for a pipeline's badge on the default branch, linking to the application's page. */
export function badgeMarkdown(baseUrl: string, app: Application, pipeline: string): string {
  return `[![${pipeline}](${baseUrl}${badgePath(app.name, pipeline)})](${baseUrl}/apps/${encodeURIComponent(app.name)})`;
}

/** Each pipeline's badge with its Markdown snippet, and the application's visibility (who may see the badges). */
export const Badges: FC<BadgesProps> = ({ app, pipelines, baseUrl, csrf, manage }) => (
  <Section title="Badges" id="badges">
    <p class="muted">
      {app.private
        ? 'This application is private: its badges show only to signed-in users (anyone else gets 404).'
        : 'Anyone can see these badges. Add ?branch=NAME to the image URL for another branch than the default.'}
    </p>
    {pipelines.pipelines.map((pipeline, i) => (
      <div class="badge" data-badge={pipeline}>
        <p>
          <img src={badgePath(app.name, pipeline)} alt={`${pipeline} badge`} />{' '}
          <button type="button" class="secondary" data-copy={`badge-markdown-${i}`}>
            Copy Markdown
          </button>
        </p>
        <pre id={`badge-markdown-${i}`}>{badgeMarkdown(baseUrl, app, pipeline)}</pre>
      </div>
    ))}
    {manage ? (
      <PostForm action={`/apps/${app.id}/visibility`} csrf={csrf} id="visibility" class="row">
        <label class="check">
          <input type="checkbox" name="private" value="on" checked={app.private} /> private (hide its badges from visitors)
        </label>
        <button type="submit">Save</button>
      </PostForm>
    ) : null}
  </Section>
);
