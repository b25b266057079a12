/** Logs on stderr: JSON lines (in Kubernetes) or readable lines; every line names the image and the step. */
import { redact } from './redact.js';

export type LogFormat = 'json' | 'text';
export type LogLevel = 'info' | 'warn' | 'error';

/** A logger bound to an image; `step` says which part of the job speaks. */
export interface Logger {
  log(level: LogLevel, step: string, message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(step: string, message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(step: string, message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(step: string, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** JSON by default where KUBERNETES_SERVICE_HOST is set, readable otherwise. */
export function defaultLogFormat(env: Readonly<Record<string, string | undefined>>): LogFormat {
  return env.KUBERNETES_SERVICE_HOST ? 'json' : 'text';
}

/** A logger writing redacted lines to `write`. */
export function createLogger(
  format: LogFormat,
  image: string,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): Logger {
  const log = (level: LogLevel, step: string, message: string, fields: Readonly<Record<string, unknown>> = {}) => {
    if (format === 'json') {
      write(`${redact(JSON.stringify({ time: now().toISOString(), level, image, step, msg: message, ...fields }))}\n`);
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('');
    write(`${redact(`${level === 'info' ? '' : `${level.toUpperCase()} `}[${image}] ${step}: ${message}${extra}`)}\n`);
  };
  return {
    log,
    info: (step, message, fields) => log('info', step, message, fields),
    warn: (step, message, fields) => log('warn', step, message, fields),
    error: (step, message, fields) => log('error', step, message, fields),
  };
}
