// Zone texts several scenario tests serve as they are.

/** example.com with its apex, ns1 at 192.0.2.1, and www answered from pool "web". */
export const POOLED_EXAMPLE_ZONE = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  www: { type: A, pool: web }
`;

/** A signed zone of one name besides its apex, with a fixed serial; many of them make a server of many signed zones. */
export const SMALL_SIGNED_ZONE = `ttl: 300
dnssec: true
records:
  '@':
    - type: SOA
      value: { mname: ns1, rname: hostmaster, serial: 1, refresh: 7200, retry: 3600, expire: 518400, minimum: 300 }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
`;
