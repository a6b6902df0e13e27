// One spelling of a certificate serial number for every comparison Holdfast makes between a
// logged certificate and a CRL entry. Sources disagree: NGINX and OpenSSL print the INTEGER's
// content bytes (`0A1B…`, a leading 00 when the high bit is set), Node drops leading zeros,
// HAProxy and some exporters separate bytes with colons, Caddy logs decimal (its parser turns it
// into hex), @peculiar/x509 gives the DER content in lower case.

/** Upper-case hex without separators, `0x` or leading zeros ("0" for zero); null when not hex. */
export function normalizeSerial(serial: string): string | null {
  const hex = serial.trim().replace(/^0x/i, '').replace(/[:\s]/g, '');
  if (hex === '' || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  return hex.replace(/^0+(?=.)/, '').toUpperCase();
}
