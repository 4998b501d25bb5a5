import { ConfigError } from '../errors.ts';
import { readConfigSource, locateConfig } from './source.ts';
import { checkPipeline, pipelineOrError, validateConfig, type ConfigLimits, type ValidateResult } from './validate.ts';
import type { PipelineSpec, WerckerConfig } from './schema.ts';

export interface LoadedConfig extends ValidateResult {
  file: string;
  /** The decoded text, for code frames. */
  text: string;
}

/** Finds, reads and validates a wercker.yml. Throws only when the file cannot be read. */
export async function loadConfig(target: string, explicitFile?: string, limits?: ConfigLimits): Promise<LoadedConfig> {
  const file = await locateConfig(target, explicitFile);
  const source = await readConfigSource(file);
  return { file, text: source.text, ...validateConfig(file, source.text, source.diagnostics, limits) };
}

/**
 * Loads the config and picks the pipeline to run; any error (in the file, or in that
 * pipeline) throws a ConfigError carrying every diagnostic.
 */
export async function loadPipeline(target: string, name: string, explicitFile?: string, limits?: ConfigLimits): Promise<{ loaded: LoadedConfig; config: WerckerConfig; pipeline: PipelineSpec }> {
  const loaded = await loadConfig(target, explicitFile, limits);
  const { config } = loaded;
  if (!config) throw new ConfigError(loaded.diagnostics, loaded.text);
  const found = pipelineOrError(config, name);
  const diagnostics = 'severity' in found ? [...loaded.diagnostics, found] : [...loaded.diagnostics, ...checkPipeline(config, found, 'error')];
  if (diagnostics.some((d) => d.severity === 'error') || 'severity' in found) throw new ConfigError(diagnostics, loaded.text);
  return { loaded: { ...loaded, diagnostics }, config, pipeline: found };
}
