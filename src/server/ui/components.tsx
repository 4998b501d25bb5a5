import { raw } from 'hono/html';
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { RunStatus, User } from '../context.ts';

/** The hidden field every form carries; the auth middleware checks it on each POST. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

/** A POST form with its CSRF field; the only kind of form that changes anything. */
export const PostForm: FC<PropsWithChildren<{ action: string; csrf: string; class?: string; id?: string }>> = (props) => (
  <form method="post" action={props.action} class={props.class} id={props.id}>
    <Csrf token={props.csrf} />
    {props.children}
  </form>
);

export const StatusBadge: FC<{ status: RunStatus; id?: string }> = ({ status, id }) => (
  <span class={`badge ${status}`} id={id} data-status={status}>
    {status}
  </span>
);

export const ErrorBox: FC<{ message?: string | undefined }> = ({ message }) => (message ? <div class="error" role="alert">{message}</div> : null);

export interface PageProps {
  title: string;
  /** Undefined on the login page: no navigation, no sign-out. */
  user?: User;
  csrf?: string;
}

/** Every page's frame: stylesheet, top bar with the signed-in user and a sign-out form, script. */
export const Layout: FC<PropsWithChildren<PageProps>> = (props) => (
  <>
    {raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · werker`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/werker.css" />
        {/* A module (deferred by itself): it imports the terminal's chunk from /assets/ when that is opened. */}
        <script type="module" src="/assets/werker.js"></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/apps">werker</a>
          {props.user ? <a href="/apps">Applications</a> : null}
          {props.user ? <a href="/runs">Runs</a> : null}
          <span class="spacer"></span>
          {props.user ? <span>{props.user.name}</span> : null}
          {props.user && props.csrf !== undefined ? (
            <PostForm action="/logout" csrf={props.csrf}>
              <button type="submit">Sign out</button>
            </PostForm>
          ) : null}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  </>
);

/** The pages' durations; the live log (client/) formats them with the same function. */
export { formatDuration } from '../../report/event-lines.ts';

/** ISO time as `2026-12-02 11:54:25 UTC`: the same for every viewer, no client clock involved. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const shortCommit = (commit: string): string => commit.slice(0, 10);

export const Section: FC<PropsWithChildren<{ title: Child; id?: string }>> = (props) => (
  <section class="card" id={props.id}>
    <h2>{props.title}</h2>
    {props.children}
  </section>
);
