// One call through the proxy as SIPp's uac.xml and uas.xml (test/fixtures/sipp/) play it: the
// INVITE, ACK and BYE of the UAC, the 100/180/200 and the BYE's 200 of the chosen backend, which
// echoes the Vias and Record-Route the proxy sent it. Templates are prepared once; per call only
// Call-ID, branches and tags change. Every step checks what the proxy forwarded and throws
// otherwise, so a broken build cannot be measured as a fast one.
import { BACKEND_PORTS, PROXY } from './proxy-harness.mjs';

const PID = 4242;
const UAC = { host: '127.0.0.1', port: 5061 };
const LISTENER = { id: `udp:${PROXY.host}:${PROXY.port}`, local: Object.freeze({ address: PROXY.host, port: PROXY.port }) };
const CRLF = '\r\n';

const sdp = (ip) => ['v=0', `o=user1 53655765 2353687637 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0', 'm=audio 6000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join(CRLF);
const UAC_SDP = sdp(UAC.host);
const UAS_SDP = sdp('127.0.0.1');

// [field_name] values of SIPp for call number n.
const callId = (n) => `${n}-${PID}@${UAC.host}`;
const fromLine = (n) => `From: sipp <sip:sipp@${UAC.host}:${UAC.port}>;tag=${PID}SIPpTag00${n}`;
const TO = `To: service <sip:service@${PROXY.host}:${PROXY.port}>`;
const toTag = (n) => `;tag=${PID}SIPpTag01${n}`;
const uacVia = (n, index) => `Via: SIP/2.0/UDP ${UAC.host}:${UAC.port};branch=z9hG4bK-${PID}-${n}-${index}`;
const UAC_CONTACT = `Contact: <sip:sipp@${UAC.host}:${UAC.port};transport=UDP>`;
const uasContact = (port) => `Contact: <sip:127.0.0.1:${port};transport=UDP>`;

const invite = (n) =>
  `INVITE sip:service@${PROXY.host}:${PROXY.port} SIP/2.0\r\n${uacVia(n, 0)}\r\n${fromLine(n)}\r\n${TO}\r\nCall-ID: ${callId(n)}\r\nCSeq: 1 INVITE\r\n` +
  `${UAC_CONTACT}\r\nMax-Forwards: 70\r\nSubject: sipdispatch e2e\r\nContent-Type: application/sdp\r\nContent-Length: ${UAC_SDP.length}\r\n\r\n${UAC_SDP}`;
const inDialog = (method, seq, index, n, port, routes) =>
  `${method} sip:127.0.0.1:${port};transport=UDP SIP/2.0\r\n${uacVia(n, index)}\r\n${routes}\r\n${fromLine(n)}\r\n${TO}${toTag(n)}\r\nCall-ID: ${callId(n)}\r\n` +
  `CSeq: ${seq} ${method}\r\n${UAC_CONTACT}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
const trying = (n, echo) => `SIP/2.0 100 Trying\r\n${echo.vias}${fromLine(n)}\r\n${TO}\r\nCall-ID: ${callId(n)}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
const ringing = (n, echo, port) =>
  `SIP/2.0 180 Ringing\r\n${echo.vias}${echo.recordRoute}${fromLine(n)}\r\n${TO}${toTag(n)}\r\nCall-ID: ${callId(n)}\r\nCSeq: 1 INVITE\r\n${uasContact(port)}\r\nContent-Length: 0\r\n\r\n`;
const answer = (n, echo, port) =>
  `SIP/2.0 200 OK\r\n${echo.vias}${echo.recordRoute}${fromLine(n)}\r\n${TO}${toTag(n)}\r\nCall-ID: ${callId(n)}\r\nCSeq: 1 INVITE\r\n${uasContact(port)}\r\n` +
  `Content-Type: application/sdp\r\nContent-Length: ${UAS_SDP.length}\r\n\r\n${UAS_SDP}`;
const byeOk = (n, echo) => `SIP/2.0 200 OK\r\n${echo.vias}${fromLine(n)}\r\n${TO}${toTag(n)}\r\nCall-ID: ${callId(n)}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`;

const prefix = (s) => Buffer.from(s, 'latin1');
const START = {
  invite: prefix(`INVITE sip:service@${PROXY.host}:${PROXY.port} SIP/2.0\r\n`),
  ack: prefix('ACK sip:127.0.0.1:'),
  bye: prefix('BYE sip:127.0.0.1:'),
  trying: prefix('SIP/2.0 100 '),
  ringing: prefix('SIP/2.0 180 '),
  ok: prefix('SIP/2.0 200 '),
};
const PROXY_VIA = `Via: SIP/2.0/UDP ${PROXY.host}:${PROXY.port};branch=z9hG4bK`;
const PROXY_RR = `Record-Route: <sip:${PROXY.host}:${PROXY.port};lr>`;

function source(port) {
  // UdpTransport builds one per datagram.
  return { transport: 'udp', address: '127.0.0.1', port, connectionId: LISTENER.id, local: LISTENER.local };
}

/**
 * The Via and Record-Route lines of a message the proxy sent, as SIPp's [last_Via:] and
 * [last_Record-Route:] copy them (CRLF-terminated blocks), and the Record-Route values.
 */
function echoOf(bytes) {
  const head = bytes.toString('latin1', 0, bytes.indexOf('\r\n\r\n') + 2);
  let vias = '';
  let recordRoute = '';
  const routes = [];
  for (let at = head.indexOf(CRLF) + 2; at < head.length; ) {
    const eol = head.indexOf(CRLF, at);
    const line = head.slice(at, eol);
    if (line.startsWith('Via:') || line.startsWith('v:')) vias += line + CRLF;
    else if (line.startsWith('Record-Route:')) {
      recordRoute += line + CRLF;
      routes.push(line.slice(13).trim());
    }
    at = eol + 2;
  }
  return { vias, recordRoute, routes };
}

class CallCheckError extends Error {}

export class SippCall {
  /** Calls per backend port, to check the round robin. */
  picks = new Map(BACKEND_PORTS.map((p) => [p, 0]));
  /** Bytes the driver fed (the datagrams' payloads). */
  fedBytes = 0;
  /** Sizes of the 7 datagrams of the first call played, in order. */
  sizes = [];

  constructor(harness) {
    this.h = harness;
  }

  /** Plays call number `n` (unique in the process) to its end; the transactions stay absorbing. */
  async run(n) {
    const wire = this.h.wire;
    await this.feed(invite(n), UAC.port);
    this.expect(2, 'INVITE');
    const port = this.sent(0, START.invite, BACKEND_PORTS, 'forwarded INVITE');
    this.sent(1, START.trying, [UAC.port], "proxy's 100 Trying");
    const inviteEcho = echoOf(wire.bytes[0]);
    if (!inviteEcho.vias.startsWith(PROXY_VIA) || inviteEcho.recordRoute !== PROXY_RR + CRLF) throw new CallCheckError(`call ${n}: forwarded INVITE lacks our Via or Record-Route\n${wire.bytes[0]}`);
    this.picks.set(port, this.picks.get(port) + 1);

    await this.feed(trying(n, inviteEcho), port);
    this.expect(0, "backend's 100");
    await this.feed(ringing(n, inviteEcho, port), port);
    this.expect(1, '180');
    this.sent(0, START.ringing, [UAC.port], 'relayed 180');
    await this.feed(answer(n, inviteEcho, port), port);
    this.expect(1, '200 for INVITE');
    this.sent(0, START.ok, [UAC.port], 'relayed 200');
    const routeSet = echoOf(wire.bytes[0]).routes;
    if (routeSet.length !== 1) throw new CallCheckError(`call ${n}: relayed 200 carries ${routeSet.length} Record-Route values`);
    // SIPp's [routes]: the Record-Route set of the 200, reversed for the UAC.
    const routes = `Route: ${routeSet.reverse().join(', ')}`;

    await this.feed(inDialog('ACK', 1, 5, n, port, routes), UAC.port);
    this.expect(1, 'ACK');
    this.sent(0, START.ack, [port], 'forwarded ACK');
    await this.feed(inDialog('BYE', 2, 7, n, port, routes), UAC.port);
    this.expect(1, 'BYE');
    this.sent(0, START.bye, [port], 'forwarded BYE');
    await this.feed(byeOk(n, echoOf(wire.bytes[0])), port);
    this.expect(1, '200 for BYE');
    this.sent(0, START.ok, [UAC.port], 'relayed 200 for BYE');
    wire.clear();
  }

  /** One datagram, then the microtask checkpoint a socket callback ends with. */
  async feed(text, fromPort) {
    this.h.wire.clear();
    const bytes = Buffer.from(text, 'latin1');
    this.fedBytes += bytes.length;
    if (this.sizes.length < 7) this.sizes.push(bytes.length);
    this.h.receive(bytes, source(fromPort));
    await undefined;
  }

  expect(count, step) {
    const wire = this.h.wire;
    if (wire.count === count) return;
    const what = wire.bytes.slice(0, wire.count).map((b) => b.toString('latin1').split(CRLF)[0]);
    const logged = this.h.logs.lines > 0 ? `; log: ${this.h.logs.first}` : '';
    throw new CallCheckError(`after the ${step} the proxy sent ${wire.count} messages, expected ${count}: ${JSON.stringify(what)}${logged}`);
  }

  /** Checks message `i` starts with `start` and went to 127.0.0.1 on one of `ports`; returns the port. */
  sent(i, start, ports, what) {
    const bytes = this.h.wire.bytes[i];
    const target = this.h.wire.targets[i];
    if (bytes.compare(start, 0, start.length, 0, start.length) !== 0 || target.host !== '127.0.0.1' || !ports.includes(target.port)) {
      throw new CallCheckError(`${what}: got ${JSON.stringify(bytes.toString('latin1').split(CRLF)[0])} to ${target.host}:${target.port}`);
    }
    return target.port;
  }
}
