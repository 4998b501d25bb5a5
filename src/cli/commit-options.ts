import type { RunOptions } from '../plan/types.ts';
import type { PipelineFlags } from './pipeline-options.ts';

/** The flags that commit the box, as commander reads them (docs/wercker-compat.md §4.10, §8.4). */
interface CommitFlags {
  commit?: string;
  tag?: string;
  message?: string;
  checkpoint?: string;
  enableDevSteps?: boolean;
}

/**
 * `--commit REPO` with `--tag` (else $WERCKER_GIT_BRANCH on the host) and `--message`, and
 * `--checkpoint N`, which skips steps only while dev steps are on (the default).
 */
export function commitOptions(flags: PipelineFlags, env: NodeJS.ProcessEnv = process.env): Pick<RunOptions, 'commit' | 'checkpoint' | 'tag'> {
  const f = flags as PipelineFlags & CommitFlags;
  const out: Pick<RunOptions, 'commit' | 'checkpoint' | 'tag'> = {};
  const tag = f.tag || env.WERCKER_GIT_BRANCH;
  if (tag) out.tag = tag;
  if (f.commit) {
    out.commit = { repo: f.commit, ...(tag ? { tag } : {}), ...(f.message ? { message: f.message } : {}) };
  }
  if (f.checkpoint) out.checkpoint = { name: f.checkpoint, skip: f.enableDevSteps !== false };
  return out;
}
