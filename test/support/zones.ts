// Zone texts several scenario tests serve as they are.

/** example.com with its apex, ns1 at 192.0.2.1, and www answered from pool "web". */
export const POOLED_EXAMPLE_ZONE = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  www: { type: A, pool: web }
`;
