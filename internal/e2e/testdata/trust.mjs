// trustArgs has Chromium trust FreeSWITCH's WSS certificate, and only it,
// by the SHA-256 of its public key (AS_TRUST_SPKI, set on WSS).
export const trustArgs = () =>
  process.env.AS_TRUST_SPKI ? [`--ignore-certificate-errors-spki-list=${process.env.AS_TRUST_SPKI}`] : [];
