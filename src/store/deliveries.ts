import { isoNow, type Store } from './db.ts';

/**
 * Records a webhook delivery id (forgetting those older than `memoryMs` first). False: it was
 * recorded before, so the delivery is a replay.
 */
export async function claimDelivery(store: Store, appId: number, deliveryId: string, memoryMs: number): Promise<boolean> {
  await store.db.deleteFrom('webhook_deliveries').where('received_at', '<', isoNow(-memoryMs)).execute();
  const r = await store.db.insertInto('webhook_deliveries').values({ application_id: appId, delivery_id: deliveryId, received_at: isoNow() })
    .onConflict((oc) => oc.columns(['application_id', 'delivery_id']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Forgets a delivery id (its handling failed, so a redelivery must be taken). */
export async function releaseDelivery(store: Store, appId: number, deliveryId: string): Promise<void> {
  await store.db.deleteFrom('webhook_deliveries').where('application_id', '=', appId).where('delivery_id', '=', deliveryId).execute();
}
