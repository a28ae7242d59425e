// The engine as the unit tests call it: one message through answer() with a
// context per transport (as each socket keeps one), bytes or null back.
import { answer } from '../../server/engine/answer.js';
import type { Catalog } from '../../server/engine/catalog.js';
import { QueryContext, STREAM, type Outcome, type Transport } from '../../server/engine/context.js';
import { decodeQuery, type Query } from '../../server/wire/query.js';

const contexts = { udp: new QueryContext('udp'), tcp: new QueryContext('tcp') };

/** The response, or null for silence; `outcome` receives what the handler would count. */
export function ask(catalog: Catalog, msg: Buffer, transport: Transport, outcome?: Outcome): Buffer | null {
  const ctx = contexts[transport];
  const out = answer(catalog, msg, ctx);
  if (out === STREAM) throw new Error('a context without transfers never streams');
  if (outcome) Object.assign(outcome, ctx.outcome);
  return out;
}

/** Would TCP with zone transfers stream this message (the test the handler makes)? */
export function isStreamed(catalog: Catalog, msg: Buffer): boolean {
  return answer(catalog, msg, new QueryContext('tcp', undefined, true)) === STREAM;
}

/** A transfer query decoded as the handler hands it to the streamer. */
export function decoded(msg: Buffer): Query {
  const d = decodeQuery(msg);
  if (d.kind !== 'query') throw new Error(`not a query: ${d.kind}`);
  return d.query;
}
