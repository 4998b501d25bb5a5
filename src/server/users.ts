import { isoNow, type Store } from '../store/db.ts';
import { countEnabledAdmins, countUserRows, findUserInfo, hasUsers, insertUser, listUserInfos, updateUserRow, userNameTaken, type UserInfoRow } from '../store/users.ts';
import { deleteSessionsOf } from '../store/sessions.ts';
import { InputError, type Role, type ServerAuth, type User, type UserInfo } from './context.ts';
import { hashPassword } from './passwords.ts';
import { requireAdmin } from './policy.ts';

const ROLES: readonly Role[] = ['admin', 'member'];

export const toUser = (r: Pick<UserInfoRow, 'id' | 'name' | 'role' | 'created_at'>): User => ({ id: r.id, name: r.name, role: r.role === 'admin' ? 'admin' : 'member', createdAt: r.created_at });
const toUserInfo = (r: UserInfoRow): UserInfo => ({ ...toUser(r), disabled: r.disabled_at !== null });

type AccountMembers = Pick<ServerAuth, 'createUser' | 'countUsers' | 'listUsers' | 'updateUser'>;

/** User accounts, with their role: the first user is the admin; later ones are made, changed and disabled by admins. */
export function userAccounts(store: Store): AccountMembers {
  return {
    async createUser(username, password, options = {}) {
      if (options.by) requireAdmin(options.by, 'create users');
      checkRole(options.role);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(username)) throw new InputError('a user name is 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit');
      if (password.length < 8) throw new InputError('a password needs at least 8 characters');
      if (await userNameTaken(store, username)) throw new InputError(`there is already a user ${username}`, 409);
      // The first user is the admin: someone must be able to manage the rest.
      const role: Role = (await hasUsers(store)) ? (options.role ?? 'member') : 'admin';
      return toUser(await insertUser(store, { name: username, password_hash: await hashPassword(password), role }));
    },
    countUsers: () => countUserRows(store),
    async listUsers(by) {
      requireAdmin(by, 'list users');
      return (await listUserInfos(store)).map(toUserInfo);
    },
    updateUser: (userId, changes, by) => updateUser(store, userId, changes, by),
  };
}

function checkRole(role: Role | undefined): void {
  if (role !== undefined && !ROLES.includes(role)) throw new InputError(`a role is "admin" or "member", not ${JSON.stringify(role)}`);
}

/** Changes a user's role or disables/enables them; the last enabled admin stays one. */
async function updateUser(store: Store, userId: number, changes: { role?: Role; disabled?: boolean }, by: User): Promise<UserInfo> {
  requireAdmin(by, 'change users');
  checkRole(changes.role);
  const row = await findUserInfo(store, userId);
  if (!row) throw new InputError(`no user ${userId}`, 404);
  const losesAdmin = row.role === 'admin' && row.disabled_at === null && (changes.role === 'member' || changes.disabled === true);
  if (losesAdmin && (await countEnabledAdmins(store)) <= 1) throw new InputError(`${row.name} is the last admin: make another user admin first`, 409);
  const set: { role?: Role; disabled_at?: string | null } = {};
  if (changes.role !== undefined) set.role = changes.role;
  if (changes.disabled !== undefined) set.disabled_at = changes.disabled ? (row.disabled_at ?? isoNow()) : null;
  if (Object.keys(set).length) await updateUserRow(store, userId, set);
  // A disabled user is signed out everywhere; their tokens are refused while disabled (tokenUser).
  if (changes.disabled) await deleteSessionsOf(store, userId);
  return toUserInfo((await findUserInfo(store, userId))!);
}
