import { loadConfig } from '../../config/load.ts';
import { checkConfig } from '../../config/check.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { WerckerConfig } from '../../config/schema.ts';
import { countBySeverity, renderDiagnostics } from '../../report/diagnostics.ts';
import { ConfigError } from '../../errors.ts';
import type { Output } from '../output.ts';

export interface CheckConfigOptions {
  pipeline?: string;
  json?: boolean;
  werckerYml?: string;
}

/**
 * `werker check-config [PATH]`: every problem as `file:line:col key.path: message`.
 * Exit 0 when the file can run (warnings allowed), 2 on any error.
 */
export async function checkConfigCommand(target: string, opts: CheckConfigOptions, out: Output): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(target, opts.werckerYml);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return report(err.diagnostics, undefined, undefined, opts, out, err.sourceText);
  }
  const diagnostics = checkConfig(loaded.config, loaded.diagnostics, opts.pipeline);
  return report(diagnostics, loaded.config, loaded.file, opts, out, loaded.text);
}

function report(
  diagnostics: Diagnostic[], config: WerckerConfig | undefined, file: string | undefined,
  opts: CheckConfigOptions, out: Output, text: string | undefined,
): number {
  const { errors, warnings } = countBySeverity(diagnostics);
  if (opts.json) {
    out.stdout(JSON.stringify({ file: file ?? diagnostics[0]?.file, valid: errors === 0, errors, warnings, diagnostics, config }, null, 2));
    return errors ? 2 : 0;
  }
  if (diagnostics.length) out.stderr(renderDiagnostics(diagnostics, text, out.color) + '\n');
  if (config && errors === 0) {
    for (const p of Object.values(config.pipelines)) {
      if (opts.pipeline && p.name !== opts.pipeline) continue;
      // wercker dropped a pipeline it could not decode: it found no such section.
      if (p.problems?.length) continue;
      const box = p.box ?? config.box;
      out.stdout(`Found pipeline section: ${p.name}${box ? `\n  with box: ${box.id}${box.tag ? `:${box.tag}` : ''}` : ''}`);
    }
  }
  const name = file ?? diagnostics[0]?.file ?? 'wercker.yml';
  out.stderr(`${name}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return errors ? 2 : 0;
}
