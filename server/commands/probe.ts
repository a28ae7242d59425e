// `pulsedns probe`: flags -> a prober process (runtime/prober.ts).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../runtime/log.js';
import { runProber } from '../runtime/prober.js';
import { fail, FILE_SIZE_FLAG, HEALTH_FLAGS, healthOptions, LOG_FLAGS, logOptions, maxFileSize, WEBHOOK_FLAGS, WEBHOOK_URL_FLAGS, webhookSecret, webhookUrls } from './options.js';
import { isShared } from '../../checks/store/open.js';

export async function cmdProbe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { zones: { type: 'string' }, ...HEALTH_FLAGS, vantage: { type: 'string' }, source: { type: 'string' }, ...WEBHOOK_URL_FLAGS, ...WEBHOOK_FLAGS, ...FILE_SIZE_FLAG, ...LOG_FLAGS },
  });
  const log = createLogger(logOptions(values));
  const health = healthOptions(values);
  const secret = webhookSecret(values);
  if (!isShared(health)) fail('probe shares results through Redis: pass --redis redis://HOST:6379 (or --sentinel HOST:PORT)');
  const webhooks = webhookUrls(values);
  const maxFileBytes = maxFileSize(values);
  try {
    await runProber({ zonesDir: values.zones ?? 'zones', health, vantage: values.vantage ?? hostname(), webhooks, maxFileBytes, ...(secret ? { webhookSecret: secret } : {}), ...(values.source ? { source: values.source } : {}) }, log);
  } catch (e) {
    log.fatal({ err: e }, (e as Error).message);
    return 1;
  }
  return -1;
}
