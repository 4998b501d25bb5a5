import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime, RegistryAuth } from '../runtime/runtime.ts';
import { WerkerError } from '../errors.ts';
import type { Bus } from './events.ts';
import { pullImageVia } from './mirror-pull.ts';

/**
 * Makes every image of the plan present: an image already on the engine is used as it is
 * unless `--pull always` (wercker always pulled; here no registry may be reachable, and a
 * pull of a present image is wasted time). `--pull never` fails on a missing one.
 */
export async function ensureImages(plan: RunPlan, runtime: ContainerRuntime, bus: Bus, signal?: AbortSignal): Promise<void> {
  const wanted = new Map<string, RegistryAuth | undefined>([[plan.box.image, plan.box.auth]]);
  // A local service's image is built by its nested build (local-service.ts), not pulled.
  for (const s of plan.services) if (!s.local && !wanted.has(s.image)) wanted.set(s.image, s.auth);
  for (const [image, auth] of wanted) {
    const started = Date.now();
    const present = await runtime.imageExists(image);
    // A resume's snapshot is local only (engine/snapshot.ts): never pulled.
    if (present && (plan.options.pull !== 'always' || image === plan.options.resume?.image)) {
      bus.emit({ type: 'image.ready', image, pulled: false, durationMs: Date.now() - started });
      continue;
    }
    if (!present && plan.options.pull === 'never') {
      throw new WerkerError(`image ${image} is not on the engine and --pull never was given`, 1, {
        hint: `build or load it first, or map the name to a local image with --image-map ${image}=LOCAL (or image-map: in the user config file, see the README)`,
      });
    }
    try {
      await pullImageVia(runtime, image, {
        ...(auth ? { auth } : {}),
        mirrors: plan.options.registryMirrors ?? [],
        onProgress: (p) => bus.emit({ type: 'image.pull', image, status: p.status, ...(p.current !== undefined ? { current: p.current } : {}), ...(p.total !== undefined ? { total: p.total } : {}) }),
        ...(signal ? { signal } : {}),
        say: (level, text) => bus.emit({ type: 'log', level, text }),
      });
    } catch (err) {
      throw new WerkerError(`cannot pull ${image}: ${(err as Error).message}`, 1, {
        cause: err,
        hint: `if the registry is unreachable, build the image locally and map it (--image-map ${image.split(':')[0]}=LOCAL_IMAGE, WERKER_IMAGE_MAP, or image-map: in the user config file), or name a registry mirror (registry-mirrors: in the user config file; see the README)`,
      });
    }
    bus.emit({ type: 'image.ready', image, pulled: true, durationMs: Date.now() - started });
  }
}
