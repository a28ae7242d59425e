// Who may transfer zones: a list of addresses and CIDR prefixes, IPv4 and
// IPv6, from `--allow-transfer` (repeatable). An empty list allows nobody,
// so transfers stay off until an operator names a secondary.
import net from 'node:net';

/** `::ffff:192.0.2.1` is how a dual-stack [::] listener reports an IPv4 client. */
const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export class AddressAcl {
  private readonly list = new net.BlockList();

  private constructor(readonly entries: readonly string[]) {}

  /**
   * Parses entries such as `192.0.2.1`, `10.0.0.0/8`, `2001:db8::/32`.
   * Throws with the offending entry in the message, so a typo stops the
   * server at startup instead of silently refusing the secondary.
   */
  static parse(entries: readonly string[]): AddressAcl {
    const acl = new AddressAcl([...entries]);
    for (const raw of entries) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      const address = slash < 0 ? entry : entry.slice(0, slash);
      const family = net.isIP(address);
      if (family === 0) throw new Error(`--allow-transfer "${raw}": not an IPv4 or IPv6 address or prefix (e.g. 192.0.2.1, 10.0.0.0/8, 2001:db8::/32)`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        acl.list.addAddress(address, type);
        continue;
      }
      const bits = entry.slice(slash + 1);
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new Error(`--allow-transfer "${raw}": prefix length must be 0-${max}`);
      acl.list.addSubnet(address, Number(bits), type);
    }
    return acl;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** True when the peer address (as a socket reports it) is on the list. */
  allows(address: string | undefined): boolean {
    if (!address || this.entries.length === 0) return false;
    const mapped = MAPPED_V4.exec(address);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4');
    const family = net.isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}
