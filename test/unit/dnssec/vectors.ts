// Published DNSSEC test vectors (RFC 4034 5.4, RFC 6605 6.1, RFC 8080 6.1 with
// erratum 4935), shared by the dnssec unit tests.
export const RFC4034_DNSKEY = {
  owner: 'dskey.example.com.',
  text: '256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==',
  tag: 60485,
  // RFC 4509 section 2.3
  sha256: 'D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A',
};

export const RFC6605_P256 = {
  owner: 'example.net.',
  privateKey: 'GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=',
  dnskey: '257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
  tag: 55648,
  ds: '55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17',
  // www.example.net. 3600 IN A 192.0.2.1, signed:
  rrsig: 'A 13 3 3600 20100909100439 20100812100439 55648 example.net. qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==',
};

export const RFC8080_ED25519 = {
  owner: 'example.com.',
  privateKey: 'ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=',
  dnskey: '257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
  tag: 3613,
  ds: '3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B',
  // example.com. 3600 IN MX 10 mail.example.com., signed (Ed25519 is deterministic):
  inception: 1438207200,
  expiration: 1440021600,
  signature: 'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==',
};

/** DNSKEY rdata from `flags protocol alg base64`. */
export function dnskeyFromText(text: string): Buffer {
  const [flags, protocol, alg, b64] = text.split(' ');
  const b = Buffer.alloc(4);
  b.writeUInt16BE(Number(flags), 0);
  b[2] = Number(protocol);
  b[3] = Number(alg);
  return Buffer.concat([b, Buffer.from(b64!, 'base64')]);
}
