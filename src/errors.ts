import type { Diagnostic } from './config/diagnostics.ts';

/**
 * werker's error hierarchy. Expected outcomes (a failing step) are results, not exceptions;
 * these mean "werker could not do what was asked". `cli/main.ts` is the only place that turns
 * one into output and an exit code.
 */
export class WerkerError extends Error {
  /** What the user can do about it, printed under the message. */
  hint?: string;
  constructor(message: string, readonly exitCode: number = 1, options?: ErrorOptions & { hint?: string }) {
    super(message, options);
    this.name = new.target.name;
    if (options?.hint) this.hint = options.hint;
  }
}

/** Bad flags or arguments: exit 2. */
export class UsageError extends WerkerError {
  constructor(message: string, options?: ErrorOptions & { hint?: string }) {
    super(message, 2, options);
  }
}

/** No Docker engine (or SSH host) answers: exit 3. */
export class RuntimeUnavailableError extends WerkerError {
  constructor(message: string, options?: ErrorOptions & { hint?: string }) {
    super(message, 3, options);
  }
}

/** A Docker Engine API call failed; wrapped once at the adapter boundary. */
export class DockerApiError extends WerkerError {
  constructor(readonly status: number, readonly op: string, message: string, options?: ErrorOptions & { hint?: string }) {
    super(`${op}: ${message}`, 1, options);
  }
}

/** An SSH connection, authentication, command or transfer failed. */
export class SshError extends WerkerError {
  constructor(
    readonly host: string,
    readonly stage: 'connect' | 'auth' | 'exec' | 'sftp',
    message: string,
    options?: ErrorOptions & { hint?: string },
  ) {
    super(`${host} (${stage}): ${message}`, 3, options);
  }
}

/** SIGINT/SIGTERM, or a dev run superseded by a newer one: exit 130. */
export class CancelledError extends WerkerError {
  constructor(message = 'cancelled', options?: ErrorOptions) {
    super(message, 130, options);
  }
}

/** A bug in werker: printed with its stack and a request to report it. */
export class InternalError extends WerkerError {}

/** The wercker.yml has errors: exit 2, each printed as `file:line:col key.path: message`. */
export class ConfigError extends WerkerError {
  constructor(readonly diagnostics: Diagnostic[], readonly sourceText?: string) {
    const first = diagnostics.find((d) => d.severity === 'error');
    super(first ? first.message : 'invalid wercker.yml', 2);
  }
}

/**
 * A host port werker was asked to publish is taken: exit 2, like a bad flag, since the fix is a
 * different `--publish` (or stopping what holds the port).
 */
export class PortInUseError extends UsageError {
  constructor(readonly port: string, readonly address: string, detail?: string, options?: ErrorOptions) {
    super(`host port ${port} is already in use on ${address}${detail ? ` (${detail})` : ''}`, {
      ...options,
      hint: `stop what listens there (\`ss -ltnp 'sport = :${port}'\`, \`docker ps --filter publish=${port}\`) ` +
        `or publish on another host port, e.g. --publish ${Number(port) + 1}:CONTAINER_PORT`,
    });
  }
}
