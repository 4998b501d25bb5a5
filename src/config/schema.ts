import { z } from 'zod';
import { built, lazySchema } from './lazy-schema.ts';

/*
 * The wercker.yml schema, in two halves:
 * - the *written* form (what a person types; exported as JSON Schema for editors), and
 * - the *normalised* model (plain data every later stage consumes).
 * Both are zod schemas, so the TypeScript types, the validation and the JSON Schema come from
 * this one file. `.describe()` texts are the user documentation.
 */

// ---------------------------------------------------------------- written form

/** A scalar read as the text it was written with (wercker decoded these into Go strings). */
const Text = lazySchema(() => z.union([z.string(), z.number(), z.boolean()]));

const imageFields = () => ({
  id: Text.describe('Image reference `repo[:tag]`; `$VAR` is expanded from the pipeline environment.'),
  tag: Text.optional().describe('Overrides the tag given in `id`.'),
  name: Text.optional().describe('Service only: network alias, link-variable prefix and container name.'),
  cmd: Text.optional().describe('Command, split like a shell would; replaces the image CMD (box default: bash, else sh).'),
  entrypoint: Text.optional().describe('Entrypoint, split like a shell would; replaces the image ENTRYPOINT.'),
  env: z.record(z.string(), z.union([built(Text), z.null()])).optional()
    .describe('Environment of the container; keys are upper-cased, values expand `$VAR`.'),
  ports: z.array(built(Text)).optional()
    .describe('Ports (`port`, `host:ctr` or `ip:host:ctr`); services always expose them, published with --expose-ports.'),
  volumes: Text.optional().describe('Volumes `host:ctr` or `path`, separated by spaces or commas; used with --enable-volumes.'),
  url: Text.optional().describe('Service only: `file://<dir>#<pipeline>` runs that pipeline of another project as the service.'),
  username: Text.optional().describe('Registry user for pulling the image.'),
  password: Text.optional().describe('Registry password for pulling the image (keep it in a hidden XXX_ variable).'),
  registry: Text.optional().describe('Registry URL for pulling the image.'),
  'aws-access-key': Text.optional(),
  'aws-secret-key': Text.optional(),
  'aws-region': Text.optional(),
  'aws-registry-id': Text.optional(),
  'aws-strict-auth': Text.optional(),
  'azure-client-id': Text.optional(),
  'azure-client-secret': Text.optional(),
  'azure-subscription-id': Text.optional(),
  'azure-tenant-id': Text.optional(),
  'azure-resource-group': Text.optional(),
  'azure-registry-name': Text.optional(),
  'azure-login-server': Text.optional(),
  wait: z.object({
    command: Text.optional().describe('A command run inside the service container; ready when it exits 0.'),
    http: Text.optional().describe('A URL path or full URL on the service; ready when it answers 2xx/3xx.'),
    port: Text.optional().describe('A port that must accept connections (default: every exposed port).'),
    log: Text.optional().describe('A regular expression the service output must match.'),
    timeout: Text.optional().describe('Seconds to wait before the run fails (default 120).'),
  }).optional().describe('werker extension: when the service counts as ready before the first step.'),
}) as const;

export const ImageObjectInput = lazySchema(() => z.object(imageFields()).describe('A box or service given as an object.'));
export const ImageInput = lazySchema(() => z.union([z.string(), built(ImageObjectInput)])
  .describe('An image: a string `repo[:tag]` or an object with `id` and options.'));

export const StepItemInput = lazySchema(() => z.union([
  z.string().describe('A step without properties, e.g. `npm-install` or `wercker/add-ssh-key@1.0.0`.'),
  z.record(z.string(), z.unknown()).describe(
    'A step with properties: `script: {name, code}`. wercker also accepted the properties beside the step key ' +
      '(`- script:` then `name:` at the same indent); then the first key is the step.',
  ),
]));
export const StepListInput = lazySchema(() => z.union([z.array(built(StepItemInput)), z.null()]).describe('Steps, run in order in one shell.'));

export const PipelineInput = lazySchema(() => z
  .object({
    box: ImageInput.optional().describe('Box for this pipeline; replaces the top-level box.'),
    services: z.union([z.array(built(ImageInput)), z.null()]).optional().describe('Services; replaces the top-level list.'),
    steps: StepListInput.optional(),
    'after-steps': StepListInput.optional().describe('Run after the steps, pass or fail; they see WERCKER_RESULT.'),
    'base-path': Text.optional().describe('Absolute path in the box where the source is placed instead of /pipeline/source.'),
    'source-dir': Text.optional().describe('Sub-directory of the source that steps start in.'),
    docker: z.boolean().optional().describe('Give steps access to the Docker engine (privileged box, DOCKER_HOST).'),
  })
  .catchall(StepListInput.describe('A deploy target: with --deploy-target NAME these steps replace `steps`.'))
  .describe('A pipeline: run with `werker build --pipeline NAME`.'));

export const WorkflowInput = lazySchema(() => z.object({
  name: z.string(),
  pipelines: z.array(z.object({
    name: z.string().describe('Unique within the workflow.'),
    pipelineName: z.string().optional().describe('The wercker.yml pipeline to run (default: name).'),
    requires: z.array(z.string()).optional().describe('Workflow pipelines that must pass first.'),
    artifactPipeline: z.string().optional().describe('Take the source from this pipeline\'s output only.'),
    envFile: z.string().optional().describe('Environment file used instead of --environment.'),
  })),
}));

export const WerckerYmlInput = lazySchema(() => z
  .object({
    box: ImageInput.optional().describe('The default box: the image every pipeline runs in.'),
    services: z.union([z.array(built(ImageInput)), z.null()]).optional().describe('Default services, started before the box.'),
    'command-timeout': z.number().int().optional().describe('Minutes a step may run (used when > 0, at most 60).'),
    'no-response-timeout': z.number().int().optional().describe('Minutes a step may be silent (used when > 0, at most 60).'),
    'source-dir': Text.optional().describe('Sub-directory of the checkout that steps start in.'),
    'ignore-file': Text.optional().describe('gitignore-style file of paths not copied into the box (default .werckerignore).'),
    workflows: z.array(built(WorkflowInput)).optional().describe('Chains of pipelines run by `werker workflow NAME`.'),
  })
  .catchall(z.union([built(PipelineInput), z.null()]))
  .describe('wercker.yml as read by werker (the wercker CLI 1.0 format).'));

// ---------------------------------------------------------------- normalised model

export const Position = lazySchema(() => z.object({ line: z.number().int(), col: z.number().int() }));

export const ImageSpec = lazySchema(() => z.object({
  /** As written, before `$VAR` expansion (that happens when the run is planned). */
  id: z.string(),
  tag: z.string().optional(),
  name: z.string().optional(),
  cmd: z.string().optional(),
  entrypoint: z.string().optional(),
  env: z.record(z.string(), z.string()),
  ports: z.array(z.string()),
  volumes: z.string().optional(),
  url: z.string().optional(),
  /** username/password/registry and the aws-/azure- keys, as written. */
  auth: z.record(z.string(), z.string()),
  wait: z.record(z.string(), z.string()).optional(),
  at: built(Position),
}));

/**
 * Something wercker accepted when it read the file but failed on when the pipeline ran
 * (docs/wercker-compat.md §2): a warning until then, an error naming this position when it runs.
 */
export const DeferredProblem = lazySchema(() => z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  /** Key path, e.g. `build.steps.2`. */
  path: z.string(),
  at: built(Position),
}));

export const StepKind = lazySchema(() => z.enum(['script', 'internal', 'registry']));

export const StepSpec = lazySchema(() => z.object({
  /** The step key exactly as written, e.g. `nahody/npm-install@1.1.1`. */
  id: z.string(),
  kind: built(StepKind),
  owner: z.string(),
  name: z.string(),
  version: z.string(),
  url: z.string().optional(),
  /** The `name:` property, if any (display name; container name for docker-run/kill). */
  displayName: z.string().optional(),
  cwd: z.string().optional(),
  checkpoint: z.string().optional(),
  /** Every other property, as text (`code` included for script steps). */
  properties: z.record(z.string(), z.string()),
  /** Where each property's key is written, for option errors that name file:line:col (e.g. internal/release). */
  propertyAt: z.record(z.string(), built(Position)).optional(),
  at: built(Position),
  /** Set when wercker read the step but could not have run it (e.g. a step id with a space). */
  problem: z.string().optional(),
}));

export const PipelineSpec = lazySchema(() => z.object({
  name: z.string(),
  /** `build:` with no value: exists, but cannot run. */
  empty: z.boolean(),
  box: ImageSpec.optional(),
  /** undefined: inherit the top-level list; [] means none. */
  services: z.array(built(ImageSpec)).optional(),
  steps: z.array(built(StepSpec)),
  afterSteps: z.array(built(StepSpec)),
  deployTargets: z.record(z.string(), z.array(built(StepSpec))),
  basePath: z.string().optional(),
  sourceDir: z.string().optional(),
  docker: z.boolean(),
  at: built(Position),
  /** Why the pipeline cannot run although wercker read the file (e.g. `steps:` as a mapping). */
  problems: z.array(built(DeferredProblem)).optional(),
}));

export const WorkflowSpec = lazySchema(() => z.object({
  name: z.string(),
  pipelines: z.array(z.object({
    name: z.string(),
    pipelineName: z.string(),
    requires: z.array(z.string()),
    artifactPipeline: z.string().optional(),
    envFile: z.string().optional(),
  })),
  at: built(Position),
}));

export const WerckerConfig = lazySchema(() => z.object({
  file: z.string(),
  box: ImageSpec.optional(),
  services: z.array(built(ImageSpec)),
  commandTimeout: z.number().optional(),
  noResponseTimeout: z.number().optional(),
  sourceDir: z.string().optional(),
  ignoreFile: z.string().optional(),
  workflows: z.array(built(WorkflowSpec)),
  pipelines: z.record(z.string(), built(PipelineSpec)),
}));

export type ImageSpec = z.infer<typeof ImageSpec>;
export type StepSpec = z.infer<typeof StepSpec>;
export type PipelineSpec = z.infer<typeof PipelineSpec>;
export type WorkflowSpec = z.infer<typeof WorkflowSpec>;
export type WerckerConfig = z.infer<typeof WerckerConfig>;
export type Position = z.infer<typeof Position>;
export type DeferredProblem = z.infer<typeof DeferredProblem>;
/** One item of `workflows:` as written (checked by src/config/field-checks.ts). */
export type WorkflowInput = z.infer<typeof WorkflowInput>;

/** The JSON Schema of the written form, for editors (`werker schema`). */
export function werckerJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(built(WerckerYmlInput), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'wercker.yml',
    ...schema,
  };
}
