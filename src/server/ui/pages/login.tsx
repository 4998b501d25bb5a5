import type { FC } from 'hono/jsx';
import { ErrorBox, Layout, PostForm } from '../components.tsx';

export interface LoginProps {
  /** The login form's own CSRF token (there is no session yet; see login-csrf.ts). */
  csrf: string;
  next: string;
  username?: string;
  error?: string;
  /** No user exists yet: say how to create one. */
  noUsers?: boolean;
}

export const LoginPage: FC<LoginProps> = (props) => (
  <Layout title="Sign in">
    <PostForm action="/login" csrf={props.csrf} class="card login">
      <h1>Sign in</h1>
      <ErrorBox message={props.error} />
      {props.noUsers ? (
        <p class="notice">
          No user exists yet. Create the first one on the server with <code>werker server --create-user NAME</code> (it reads the password from stdin).
        </p>
      ) : null}
      <input type="hidden" name="next" value={props.next} />
      <label>
        User
        <input name="username" autocomplete="username" required value={props.username ?? ''} autofocus />
      </label>
      <label>
        Password
        <input type="password" name="password" autocomplete="current-password" required />
      </label>
      <button type="submit">Sign in</button>
    </PostForm>
  </Layout>
);
