// A zone as served with another SOA serial (a signed zone's, dnssec/serial.ts):
// the same names and data, the SOA rewritten. The apex SOA stays one object
// with `soa` (transfers compare them), so SOA queries, negative answers,
// IXFR/AXFR and NOTIFY all see the one serial.
import type { Name } from '../wire/names.js';
import type { NodeLike, RRsetLike, WireRdata, ZoneLike } from '../zones/image/adapter.js';

/** SOA rdata with `serial` in place of its own: the serial is the first of the five numbers that end it. */
export function soaRdataWithSerial(rd: WireRdata & { text?: string }, serial: number): WireRdata & { text?: string } {
  const wire = Buffer.from(rd.wire);
  wire.writeUInt32BE(serial, wire.length - 20);
  const parts = [...rd.parts];
  const tail = parts[parts.length - 1];
  if (Buffer.isBuffer(tail) && tail.length === 20) {
    const t = Buffer.from(tail);
    t.writeUInt32BE(serial, 0);
    parts[parts.length - 1] = t;
  } else {
    parts.splice(0, parts.length, wire);
  }
  const out: WireRdata & { text?: string } = { ...rd, parts, wire };
  if (rd.text !== undefined) out.text = rd.text.replace(/^(\S+\s+\S+\s+)\d+/, `$1${serial}`);
  return out;
}

/** `zone` serving `serial`; the zone itself when it already does. */
export function withServedSerial(zone: ZoneLike, serial: number): ZoneLike {
  if (serial === zone.serial) return zone;
  const soa: RRsetLike = { ...zone.soa, rdata: zone.soa.rdata.map((rd) => soaRdataWithSerial(rd, serial)) };
  const served: ZoneLike = {
    origin: zone.origin,
    file: zone.file,
    serial,
    soa,
    negativeTtl: zone.negativeTtl,
    nodes: new ApexSoaNodes(zone.nodes, zone.origin, soa),
    cuts: zone.cuts,
    hasWildcards: zone.hasWildcards,
  };
  if (zone.dnssec) served.dnssec = zone.dnssec;
  if (zone.canonicalOrder) served.canonicalOrder = zone.canonicalOrder;
  return served;
}

/** The zone's nodes with the apex SOA replaced. */
class ApexSoaNodes implements ReadonlyMap<Name, NodeLike> {
  constructor(
    private readonly base: ReadonlyMap<Name, NodeLike>,
    private readonly origin: Name,
    private readonly soa: RRsetLike,
  ) {}
  get size(): number {
    return this.base.size;
  }
  has(name: Name): boolean {
    return this.base.has(name);
  }
  get(name: Name): NodeLike | undefined {
    const node = this.base.get(name);
    return node && name === this.origin ? this.apex(node) : node;
  }
  /** The last apex made, for zones whose nodes are stable objects (an image decodes a new one each time). */
  private made: { from: NodeLike; apex: NodeLike } | undefined;
  private apex(node: NodeLike): NodeLike {
    if (this.made?.from === node) return this.made.apex;
    const rrsets = new Map(node.rrsets);
    rrsets.set(this.soa.type, this.soa);
    this.made = { from: node, apex: { rrsets } };
    return this.made.apex;
  }
  forEach(cb: (value: NodeLike, key: Name, map: ReadonlyMap<Name, NodeLike>) => void): void {
    for (const [k, v] of this.entries()) cb(v, k, this);
  }
  *entries(): MapIterator<[Name, NodeLike]> {
    for (const [name, node] of this.base) yield [name, name === this.origin ? this.apex(node) : node];
  }
  keys(): MapIterator<Name> {
    return this.base.keys();
  }
  *values(): MapIterator<NodeLike> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): MapIterator<[Name, NodeLike]> {
    return this.entries();
  }
}
