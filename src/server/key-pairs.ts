import type { Store } from '../store/db.ts';
import { deleteKeyPairRow, insertKeyPair, keyPairNameTaken, listKeyPairInfos, type KeyPairInfoRow } from '../store/key-pairs.ts';
import { requireApplication, requireManagedApplication } from './applications.ts';
import { InputError, type KeyPair, type ServerContext } from './context.ts';
import { generateKeyPair } from './keys.ts';
import { SHELL_NAME } from './variables.ts';

type KeyPairMembers = Pick<ServerContext, 'listKeyPairs' | 'createKeyPair' | 'deleteKeyPair'>;

/** An application's SSH key pairs: made on the server, the private half only ever reaches its runs (jobVariables). */
export function keyPairService(store: Store): KeyPairMembers {
  return {
    async listKeyPairs(appId) {
      await requireApplication(store, appId);
      return (await listKeyPairInfos(store, appId)).map(toKeyPair);
    },
    async createKeyPair(appId, rawName, by) {
      await requireManagedApplication(store, appId, by, 'make its key pairs');
      const name = rawName.trim().toUpperCase();
      if (!SHELL_NAME.test(name)) throw new InputError(`"${rawName}" is not a key name: letters, digits and "_" (pipelines get ${'<NAME>'}_PUBLIC and _PRIVATE)`);
      if (await keyPairNameTaken(store, appId, name)) throw new InputError(`there is already a key pair ${name}`, 409);
      const pair = generateKeyPair(name);
      return toKeyPair(await insertKeyPair(store, appId, { name, public_key: pair.publicKey, private_key: pair.privateKey, fingerprint: pair.fingerprint }));
    },
    async deleteKeyPair(appId, keyPairId, by) {
      await requireManagedApplication(store, appId, by, 'delete its key pairs');
      if (!(await deleteKeyPairRow(store, appId, keyPairId))) throw new InputError(`no key pair ${keyPairId} in this application`, 404);
    },
  };
}

function toKeyPair(r: KeyPairInfoRow): KeyPair {
  return { id: r.id, name: r.name, publicKey: r.public_key, fingerprint: r.fingerprint, createdAt: r.created_at };
}
