/**
 * A HEP v3 decoder written from the specification (sipcapture/HEP, "HEP3 Network Protocol
 * Specification"), independent of src/hep: the tests prove it against Kamailio's siptrace and
 * then use it to read what sipdispatch sends.
 */
export interface DecodedHep {
  family: number;
  protocol: number;
  sourceAddress: string;
  destinationAddress: string;
  sourcePort: number;
  destinationPort: number;
  seconds: number;
  micros: number;
  protocolType: number;
  captureId: number;
  authKey?: string;
  nodeName?: string;
  payload: string;
  /** Every chunk by "vendor:type". */
  chunks: Map<string, Buffer>;
}

export function decodeHep3(packet: Buffer): DecodedHep {
  if (packet.toString('latin1', 0, 4) !== 'HEP3') throw new Error('not a HEP3 packet');
  const total = packet.readUInt16BE(4);
  if (total !== packet.length) throw new Error(`HEP3 length ${total} but packet of ${packet.length} bytes`);
  const chunks = new Map<string, Buffer>();
  for (let at = 6; at < total; ) {
    const vendor = packet.readUInt16BE(at);
    const type = packet.readUInt16BE(at + 2);
    const length = packet.readUInt16BE(at + 4);
    if (length < 6 || at + length > total) throw new Error(`bad chunk length ${length} at ${at}`);
    chunks.set(`${vendor}:${type}`, packet.subarray(at + 6, at + length));
    at += length;
  }
  const get = (type: number): Buffer => {
    const c = chunks.get(`0:${type}`);
    if (!c) throw new Error(`chunk 0x${type.toString(16)} missing`);
    return c;
  };
  const family = get(1).readUInt8(0);
  const v4 = family === 2;
  return {
    family,
    protocol: get(2).readUInt8(0),
    sourceAddress: ip(get(v4 ? 3 : 5)),
    destinationAddress: ip(get(v4 ? 4 : 6)),
    sourcePort: get(7).readUInt16BE(0),
    destinationPort: get(8).readUInt16BE(0),
    seconds: get(9).readUInt32BE(0),
    micros: get(10).readUInt32BE(0),
    protocolType: get(11).readUInt8(0),
    captureId: get(12).readUInt32BE(0),
    authKey: chunks.get('0:14')?.toString('utf8'),
    nodeName: chunks.get('0:19')?.toString('utf8'),
    payload: get(15).toString('latin1'),
    chunks,
  };
}

function ip(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}
