// How many corpus pipelines plan with every step resolved OFFLINE (npm run steps:coverage):
// built in, in the step cache, or given by URL — no network, no step sources but directories.
// It runs werker's own resolver (src/steps/resolve.ts) in its offline mode over every pipeline of
// every corpus file werker accepts, and prints the count, the percentage and the steps still
// missing, most used first. docs/wercker-compat.md §7.2.
//
//   npx tsx scripts/step-coverage.ts [--corpus DIR] [--working-dir DIR (its steps/ cache counts)] [--json]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkPipeline, validateConfig } from '../src/config/validate.ts';
import { decodeConfig } from '../src/config/source.ts';
import type { PipelineSpec, StepSpec } from '../src/config/schema.ts';
import { INTERNAL_STEPS } from '../src/plan/plan.ts';
import { resolveStepPackages } from '../src/steps/resolve.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const corpusDir = path.resolve(flag('--corpus') ?? process.env.WERKER_CORPUS_DIR ?? path.join(import.meta.dirname, '../../shared/corpus'));

function corpusFiles(): string[] {
  const manifest = readFileSync(path.join(corpusDir, 'MANIFEST.tsv'), 'utf8');
  return manifest.trim().split('\n').slice(1).map((line) => line.split('\t')[0]!);
}

/** Every step a run of the pipeline may take: its steps, each deploy target's, its after-steps. */
const stepsOf = (p: PipelineSpec): StepSpec[] => [...p.steps, ...Object.values(p.deployTargets).flat(), ...p.afterSteps];

/** Why a step cannot run offline, or undefined when it can. */
function problem(step: StepSpec, lookup: Awaited<ReturnType<typeof resolveStepPackages>>): string | undefined {
  if (step.kind === 'script') return undefined;
  if (step.kind === 'internal') return (INTERNAL_STEPS as readonly string[]).includes(step.name) ? undefined : step.id;
  return typeof lookup(step) === 'string' ? `${step.owner}/${step.name}` : undefined;
}

const emptyDir = mkdtempSync(path.join(tmpdir(), 'werker-coverage-'));
const workingDir = path.resolve(flag('--working-dir') ?? emptyDir);
let pipelines = 0;
let resolved = 0;
const missing = new Map<string, number>();
try {
  for (const file of corpusFiles()) {
    const source = decodeConfig(file, readFileSync(path.join(corpusDir, file)));
    const { config, diagnostics } = validateConfig(file, source.text, source.diagnostics);
    if (!config || diagnostics.some((d) => d.severity === 'error')) continue;
    for (const pipeline of Object.values(config.pipelines)) {
      pipelines++;
      if (pipeline.empty || checkPipeline(config, pipeline, 'error').some((d) => d.severity === 'error')) {
        missing.set('(pipeline cannot run: config error)', (missing.get('(pipeline cannot run: config error)') ?? 0) + 1);
        continue;
      }
      const steps = stepsOf(pipeline);
      // No lock, no sources; the step cache of --working-dir if given (else an empty dir).
      const lookup = await resolveStepPackages(steps, { projectDir: emptyDir, workingDir, sources: [], offline: true });
      const bad = [...new Set(steps.map((s) => problem(s, lookup)).filter((p): p is string => p !== undefined))];
      if (!bad.length) resolved++;
      for (const id of bad) missing.set(id, (missing.get(id) ?? 0) + 1);
    }
  }
} finally {
  rmSync(emptyDir, { recursive: true, force: true });
}

const pct = pipelines ? ((resolved / pipelines) * 100).toFixed(1) : '0.0';
const ranked = [...missing.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
// `| head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
const lines: string[] = [];
if (args.includes('--json')) {
  lines.push(JSON.stringify({ pipelines, resolved, percent: Number(pct), missing: Object.fromEntries(ranked) }, null, 2));
} else {
  lines.push(`${resolved} of ${pipelines} pipelines plan with every step resolved offline (${pct}%)`);
  if (ranked.length) lines.push('unresolved (pipelines using it):');
  for (const [id, n] of ranked) lines.push(`  ${String(n).padStart(5)}  ${id}`);
}
process.stdout.write(lines.join('\n') + '\n');
