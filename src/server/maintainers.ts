import type { Store } from '../store/db.ts';
import { deleteMaintainer, insertMaintainer, isMaintainer, listMaintainerRows } from '../store/maintainers.ts';
import { findUserByName } from '../store/users.ts';
import { requireApplication } from './applications.ts';
import { InputError, type ServerContext } from './context.ts';
import { managesApplication, requireAdmin } from './policy.ts';

type MaintainerMembers = Pick<ServerContext, 'canManageApplication' | 'listMaintainers' | 'addMaintainer' | 'removeMaintainer'>;

/** Who manages an application besides the admins: its maintainers, whom admins choose. */
export function maintainerService(store: Store): MaintainerMembers {
  return {
    canManageApplication: (appId, user) => managesApplication(store, appId, user),
    async listMaintainers(appId) {
      await requireApplication(store, appId);
      return listMaintainerRows(store, appId);
    },
    async addMaintainer(appId, userName, by) {
      requireAdmin(by, 'choose an application\'s maintainers');
      await requireApplication(store, appId);
      const user = await findUserByName(store, userName);
      if (!user) throw new InputError(`no user ${userName}`, 404);
      if (!(await isMaintainer(store, appId, user.id))) await insertMaintainer(store, appId, user.id);
    },
    async removeMaintainer(appId, userId, by) {
      requireAdmin(by, 'choose an application\'s maintainers');
      if (!(await deleteMaintainer(store, appId, userId))) throw new InputError(`user ${userId} is no maintainer of this application`, 404);
    },
  };
}
