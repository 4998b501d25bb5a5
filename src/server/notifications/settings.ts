import type { Store } from '../../store/db.ts';
import { deleteNotificationRuleRow, insertNotificationRule, listNotificationRuleRows } from '../../store/notifications.ts';
import { requireManagedApplication } from '../applications.ts';
import { InputError, type NotificationSettings } from '../context.ts';
import { newSecret } from '../passwords.ts';
import { checkNewRule, toNotificationRule } from './rules.ts';

/**
 * An application's notification rules, for its maintainers and admins only (policy.ts): the
 * rules name addresses and hosts, and a rule's URL or signing secret is a key to its receiver,
 * so neither ever comes back (the signing secret the server makes is shown once, at creation).
 */
export function notificationSettings(store: Store, emailEnabled: boolean): NotificationSettings {
  return {
    emailEnabled,
    async list(appId, by) {
      await requireManagedApplication(store, appId, by, 'see its notifications');
      return (await listNotificationRuleRows(store, appId)).map(toNotificationRule);
    },
    async create(appId, input, by) {
      await requireManagedApplication(store, appId, by, 'change its notifications');
      let made: string | undefined;
      const row = checkNewRule(input, emailEnabled, () => (made = newSecret('whsec_')));
      const saved = await insertNotificationRule(store, appId, { ...row, created_by: by.name });
      return { rule: toNotificationRule(saved), ...(made ? { signingSecret: made } : {}) };
    },
    async delete(appId, ruleId, by) {
      await requireManagedApplication(store, appId, by, 'change its notifications');
      if (!(await deleteNotificationRuleRow(store, appId, ruleId))) throw new InputError(`no notification rule ${ruleId} in this application`, 404);
    },
  };
}
