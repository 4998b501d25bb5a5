import type { Diagnostic } from '../config/diagnostics.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { IMAGE_MAP_ENV, ImageMapRuleError, parseRule, splitRuleList, type ImageMapRule, type RuleOrigin } from './image-map.ts';
import type { RegistryMirror } from './registry-mirrors.ts';
import { userConfigFile } from '../steps/sources.ts';
import { readMachineSettings } from './machine-settings.ts';

export interface ImageSettings {
  imageMap: ImageMapRule[];
  registryMirrors: RegistryMirror[];
}

/**
 * The image map and registry mirrors of a run (docs/wercker-compat.md §6.4, werker): the rules of
 * `--image-map`, then of WERKER_IMAGE_MAP, then of the user config file, in that order, so the
 * first that matches wins — the command line over the environment over the file. Mirrors come
 * from the file only. Bad rules fail before anything runs, naming the rule and where it is written.
 */
export function imageSettings(
  flags: readonly string[], env: NodeJS.ProcessEnv = process.env, warn?: (warnings: Diagnostic[], text: string) => void,
): ImageSettings {
  const rules = [...parseRules(flags, { kind: 'flag' }), ...parseRules(splitRuleList(env[IMAGE_MAP_ENV]), { kind: 'env' })];
  const file = readMachineSettings(userConfigFile(env), env);
  if (!file) return { imageMap: rules, registryMirrors: [] };
  const diagnostics = file.diagnostics.sorted();
  if (file.diagnostics.hasErrors) throw new ConfigError(diagnostics, file.text);
  if (diagnostics.length) warn?.(diagnostics, file.text);
  return { imageMap: [...rules, ...file.rules], registryMirrors: file.mirrors };
}

function parseRules(texts: readonly string[], origin: RuleOrigin): ImageMapRule[] {
  return texts.map((text) => {
    try {
      return parseRule(text, origin);
    } catch (err) {
      if (!(err instanceof ImageMapRuleError)) throw err;
      throw new UsageError(err.message, {
        hint: 'FROM=TO with exact names (mdillon/postgis=registry.example.com/postgis), or repository prefixes on both sides (docker.io/library/*=mirror.example.com/hub/*)',
      });
    }
  });
}
