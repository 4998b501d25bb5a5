import { werckerJsonSchema } from '../../config/schema.ts';
import type { Output } from '../output.ts';

/** `werker schema`: the JSON Schema of wercker.yml, for editors. */
export function schemaCommand(out: Output): number {
  out.stdout(JSON.stringify(werckerJsonSchema(), null, 2));
  return 0;
}
